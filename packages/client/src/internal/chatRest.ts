/**
 * `sogni.chat.hosted` and `sogni.chat.runs`' services, loaded on the first hosted-chat or chat-run call
 * (see `ChatApi.ts`): `@effect-sogni/chat`'s `HostedChat` and `ChatRuns` build their wire schemas when
 * their modules are evaluated (about 0.9 MB of schema ASTs and the code that builds them), which a
 * program that only streams socket chat never needs.
 *
 * Each call makes its service on the client's own `SogniRest` (the same credential, HTTP client and
 * settings the client's other REST calls use); the services hold no state of their own, so making one
 * is a few closures.
 */
import * as ChatRuns from "@effect-sogni/chat/ChatRuns"
import * as HostedChat from "@effect-sogni/chat/HostedChat"

/** The hosted-chat service on the client's REST service. */
export const hostedChat = HostedChat.make

/** The chat-runs service on the client's REST service. */
export const chatRuns = ChatRuns.make
