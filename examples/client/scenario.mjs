// One scenario written once for the official client's API and run twice by
// packages/client/test/Compare.test.ts: with `SogniClient` from '@sogni-ai/sogni-client' and with
// `SogniClient` from '@effect-sogni/client'. Only the class differs; every call below is the same.

export async function scenario(SogniClient, { appId, apiKey, restEndpoint, socketEndpoint }) {
  const sogni = await SogniClient.createInstance({
    appId,
    apiKey,
    restEndpoint,
    socketEndpoint,
    appSource: 'compare',
    network: 'fast',
    logLevel: 'error'
  });
  try {
    const models = await sogni.projects.waitForModels();
    const presets = await sogni.projects.getSizePresets('fast', 'flux1-schnell-fp8');
    const options = await sogni.projects.getModelOptions('flux1-schnell-fp8');
    const estimate = await sogni.projects.estimateCost({
      network: 'fast',
      tokenType: 'spark',
      model: 'flux1-schnell-fp8',
      imageCount: 2,
      stepCount: 4,
      previewCount: 0,
      sizePreset: 'square_hd'
    });
    const before = await sogni.account.refreshBalance();

    const project = await sogni.projects.create({
      type: 'image',
      modelId: 'flux1-schnell-fp8',
      positivePrompt: 'A cat wearing a hat',
      negativePrompt: 'low quality',
      stylePrompt: 'anime',
      steps: 4,
      guidance: 1,
      seed: 42,
      numberOfMedia: 2,
      sizePreset: 'square_hd',
      tokenType: 'spark',
      network: 'fast'
    });
    const progress = [];
    const jobEvents = [];
    project.on('progress', (p) => progress.push(p));
    project.on('jobStarted', () => jobEvents.push('jobStarted'));
    project.on('jobCompleted', (job) => jobEvents.push(`jobCompleted:${typeof job.resultUrl}`));
    const urls = await project.waitForCompletion();
    const files = [];
    for (const url of urls) {
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const view = new DataView(bytes.buffer);
      files.push({ png: bytes[1] === 0x50 && bytes[2] === 0x4e, width: view.getUint32(16), height: view.getUint32(20) });
    }
    const after = await sogni.account.refreshBalance();

    const answer = await sogni.chat.completions.create({
      model: 'qwen3.6-35b-a3b-gguf-iq4xs',
      messages: [{ role: 'user', content: 'Hello from the comparison' }],
      max_tokens: 100,
      tokenType: 'spark'
    });
    const stream = await sogni.chat.completions.create({
      model: 'qwen3.6-35b-a3b-gguf-iq4xs',
      messages: [{ role: 'user', content: 'Stream the comparison' }],
      think: true,
      stream: true
    });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.content;

    return {
      projectId: project.id,
      outcome: {
        modelAvailable: models.some((m) => m.id === 'flux1-schnell-fp8' && m.workerCount > 0),
        presetIds: presets.map((p) => p.id),
        samplers: options.sampler.allowed,
        estimate: estimate.token,
        charged: (Number(before.spark.net) - Number(after.spark.net)).toFixed(4),
        status: project.status,
        resultCount: urls.length,
        files,
        jobStatuses: project.jobs.map((j) => j.status),
        progressEndsAt: progress.at(-1),
        progressMonotonic: progress.every((p, i) => i === 0 || p >= progress[i - 1]),
        jobEvents: jobEvents.sort(),
        chat: { content: answer.content, finishReason: answer.finishReason, tokens: answer.usage.completion_tokens },
        stream: { content: streamed, final: stream.finalResult.content, finishReason: stream.finalResult.finishReason }
      }
    };
  } finally {
    await sogni.dispose();
  }
}
