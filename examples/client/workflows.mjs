// A durable creative workflow (official README: "Durable Creative Workflows"), REST only.
import { SogniClient } from '@effect-sogni/client';
import { connection, result } from './env.mjs';

const { apiKey, restEndpoint } = connection();
const sogni = await SogniClient.createInstance({
  apiKey,
  restEndpoint,
  disableSocket: true
});

const workflow = await sogni.workflows.start({
  tokenType: 'spark',
  confirmCost: true,
  input: {
    title: 'Generated keyframe to video',
    steps: [
      {
        id: 'keyframe',
        toolName: 'generate_image',
        arguments: {
          prompt: 'A graphite sketch of a robot pianist in a smoky jazz club'
        }
      },
      {
        id: 'clip',
        toolName: 'animate_photo',
        arguments: {
          prompt: 'slow dolly-in, warm stage lights, subtle hand motion',
          videoModel: 'wan22',
          duration: 2
        },
        dependsOn: [
          {
            sourceStepId: 'keyframe',
            sourceArtifactIndex: 0,
            targetArgument: 'sourceImageIndex',
            mediaType: 'image',
            transform: 'image_index',
            required: true
          }
        ]
      }
    ]
  }
});

const events = [];
for await (const event of sogni.workflows.streamEvents(workflow.workflowId)) {
  console.log(event.event, event.data?.status ?? '');
  events.push({ id: event.id, event: event.event });
}

const record = await sogni.workflows.get(workflow.workflowId);
console.log('Workflow', record.workflowId, record.status);

result({
  workflowId: workflow.workflowId,
  status: record.status,
  events,
  artifacts: (record.artifacts ?? []).map((a) => ({ kind: a.kind, url: a.url }))
});
await sogni.dispose();
