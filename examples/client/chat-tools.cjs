// Tool calling from CommonJS (official README: "LLM Tool Calling"), with the tool run locally.
const { SogniClient, isChatJobError } = require('@effect-sogni/client');
const { connection, result } = { ...require('./env.cjs') };

const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Get current weather for a location',
      parameters: {
        type: 'object',
        properties: {
          location: { type: 'string', description: 'City name' }
        },
        required: ['location']
      }
    }
  }
];

async function main() {
  const sogni = await SogniClient.createInstance({ ...connection(), network: 'fast' });
  try {
    await sogni.chat.waitForModels();
    const calls = [];
    const response = await sogni.chat.completions.create({
      model: 'qwen3.6-35b-a3b-gguf-iq4xs',
      messages: [{ role: 'user', content: "What's the weather in \"Austin\"? Use get_weather." }],
      tools: tools,
      tool_choice: 'auto',
      think: false,
      taskProfile: 'reasoning',
      autoExecuteTools: true,
      onToolCall: async (toolCall) => {
        const args = JSON.parse(toolCall.function.arguments);
        calls.push(args);
        console.log('Tool call:', toolCall.function.name, args);
        return JSON.stringify({ location: args.location, temperature: '31 °C', sky: 'sunny' });
      }
    });
    console.log(response.content);
    result({ calls, content: response.content, rounds: response.toolHistory ? response.toolHistory.length : 0 });
  } catch (error) {
    if (isChatJobError(error)) console.error('Chat failed:', error.errorType, error.message);
    throw error;
  } finally {
    await sogni.dispose();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
