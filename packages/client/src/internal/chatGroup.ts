/**
 * `sogni.chat`'s code and services, loaded by the client on the first chat call (see `lazyRuntime.ts`):
 * socket chat, hosted REST chat and durable chat runs on the client's connection.
 */
import * as Chat from "@effect-sogni/chat/Chat"
import * as ChatRuns from "@effect-sogni/chat/ChatRuns"
import * as HostedChat from "@effect-sogni/chat/HostedChat"
import * as Layer from "effect/Layer"

/** The chat services on the client's own (socket, REST, auth, config, media). */
export const layer = Layer.mergeAll(Chat.layer(), HostedChat.layer, ChatRuns.layer)

export { ChatApi } from "../ChatApi.js"
