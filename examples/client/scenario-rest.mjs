// The REST surfaces (hosted chat, chat runs, durable workflows, replay) written once for the official
// client's API and run twice by packages/client/test/Compare.test.ts, with each client's `SogniClient`.
// REST only (`disableSocket: true`), as the official README shows for these surfaces.

const MODEL = 'qwen3.6-35b-a3b-gguf-iq4xs';

export async function scenarioRest(SogniClient, { apiKey, restEndpoint }, tag) {
  const sogni = await SogniClient.createInstance({ apiKey, restEndpoint, disableSocket: true, logLevel: 'error' });
  try {
    const hosted = await sogni.chat.hosted.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Write one short caption for a rainy-day coffee ad.' }],
      max_tokens: 256,
      tokenType: 'spark',
      sogni_tools: false,
      think: false
    });
    const tool = await sogni.chat.hosted.executeTool({
      tool: 'enhance_prompt',
      arguments: { prompt: 'a cat', target_output: 'image_prompt', destination_model: 'z-turbo' }
    });
    let hostedError;
    try {
      await sogni.chat.hosted.create({ model: MODEL, messages: [{ role: 'user', content: '[[fail]] hi' }] });
    } catch (error) {
      hostedError = { name: error.name, status: error.status, failed: error.message.includes('[[fail]]') };
    }

    const run = await sogni.chat.runs.create({
      messages: [{ role: 'user', content: 'hello runs' }],
      model: MODEL,
      sessionId: `s-${tag}`,
      clientMessageId: `m-${tag}`,
      idempotencyKey: `m-${tag}`,
      tokenType: 'spark'
    });
    const runEvents = [];
    for await (const event of sogni.chat.runs.streamEvents(run.runId)) runEvents.push(event.type);
    const tail = [];
    for await (const event of sogni.chat.runs.streamEvents(run.runId, { lastEventId: 3 })) tail.push(event.sequence);
    const runRecord = await sogni.chat.runs.get(run.runId);

    const workflow = await sogni.workflows.start({
      input: {
        title: 'Still to clip',
        steps: [
          { id: 'still', toolName: 'generate_image', arguments: { prompt: 'a lighthouse at dawn', aspectRatio: '16:9' } },
          {
            id: 'clip',
            toolName: 'animate_photo',
            arguments: { prompt: 'slow push-in', videoModel: 'wan22', duration: 2 },
            dependsOn: [
              {
                sourceStepId: 'still',
                targetArgument: 'sourceImageIndex',
                transform: 'image_index',
                mediaType: 'image',
                sourceArtifactIndex: 0,
                required: true
              }
            ]
          }
        ]
      },
      tokenType: 'spark',
      confirmCost: true,
      idempotencyKey: `wf-${tag}`
    });
    const frames = [];
    for await (const frame of sogni.workflows.streamEvents(workflow.workflowId)) {
      if (frame.id !== undefined) frames.push({ id: frame.id, event: frame.event, status: frame.data?.status });
    }
    const resumed = [];
    for await (const frame of sogni.workflows.streamEvents(workflow.workflowId, { lastEventId: frames[2].id })) {
      if (frame.id !== undefined) resumed.push(frame.id);
    }
    const record = await sogni.workflows.get(workflow.workflowId);
    const history = await sogni.workflows.events(workflow.workflowId);
    const listed = await sogni.workflows.list({ limit: 50 });

    return {
      hosted: {
        object: hosted.object,
        content: hosted.choices[0].message.content,
        finishReason: hosted.choices[0].finish_reason,
        tokens: hosted.usage?.total_tokens
      },
      tool: { status: tool.status, tool: tool.data.tool, prompt: tool.data.result.prompt },
      hostedError,
      run: {
        status: run.status,
        events: runEvents,
        tail,
        final: runRecord.status,
        content: runRecord.finalResponse?.content
      },
      workflow: {
        status: workflow.status,
        frames: frames.map((f) => `${f.id} ${f.event} ${f.status ?? ''}`),
        resumed,
        final: record.status,
        artifacts: (record.artifacts ?? []).map((a) => a.kind),
        history: history.length,
        listed: listed.some((w) => w.workflowId === workflow.workflowId)
      }
    };
  } finally {
    await sogni.dispose();
  }
}
