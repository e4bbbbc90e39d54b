// Connection options from the environment: the real network by default, the emulator in tests.
export const connection = () => ({
  appId: process.env.SOGNI_APP_ID ?? 'effect-sogni-examples',
  apiKey: process.env.SOGNI_API_KEY,
  restEndpoint: process.env.SOGNI_REST_ENDPOINT,
  socketEndpoint: process.env.SOGNI_SOCKET_ENDPOINT
});

export const result = (value) => console.log(`RESULT ${JSON.stringify(value)}`);
