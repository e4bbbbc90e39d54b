// Streaming chat (official README: "Chat Completions", with stream: true).
import { SogniClient } from '@effect-sogni/client';
import { connection, result } from './env.mjs';

const sogni = await SogniClient.createInstance({ ...connection(), network: 'fast' });
await sogni.chat.waitForModels();

const stream = await sogni.chat.completions.create({
  model: 'qwen3.6-35b-a3b-gguf-iq4xs',
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'What is the Sogni Supernet?' }
  ],
  max_tokens: 4096,
  think: false,
  taskProfile: 'general',
  stream: true
});

let chunks = 0;
for await (const chunk of stream) {
  process.stdout.write(chunk.content);
  chunks += 1;
}
process.stdout.write('\n');

const final = stream.finalResult;
console.log('Finish reason:', final.finishReason, 'tokens:', final.usage.completion_tokens);

result({ chunks, content: stream.content, finishReason: final.finishReason, usage: final.usage, cost: final.cost });
await sogni.dispose();
