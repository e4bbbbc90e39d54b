/**
 * `sogni.chat`'s code and services, loaded by the client on the first chat call (see `lazyRuntime.ts`):
 * socket chat on the client's connection. Hosted REST chat and durable chat runs load with their own
 * first call (`chatRest.ts`).
 */
import * as Chat from "@effect-sogni/chat/Chat"

/** The chat service on the client's own (socket, REST, config). */
export const layer = Chat.layer()

export { ChatApi } from "../ChatApi.js"
