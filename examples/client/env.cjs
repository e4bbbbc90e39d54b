// The same as env.mjs, for CommonJS scripts.
exports.connection = () => ({
  appId: process.env.SOGNI_APP_ID ?? 'effect-sogni-examples',
  apiKey: process.env.SOGNI_API_KEY,
  restEndpoint: process.env.SOGNI_REST_ENDPOINT,
  socketEndpoint: process.env.SOGNI_SOCKET_ENDPOINT
});

exports.result = (value) => console.log(`RESULT ${JSON.stringify(value)}`);
