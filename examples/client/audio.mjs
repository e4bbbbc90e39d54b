// Music with ACE-Step 1.5 (official README: "Audio generation: use type 'audio' with ACE-Step 1.5 models").
import { SogniClient } from '@effect-sogni/client';
import { connection, result } from './env.mjs';

const sogni = await SogniClient.createInstance({ ...connection(), network: 'fast' });
await sogni.projects.waitForModels();

const options = await sogni.projects.getModelOptions('ace_step_1.5_turbo');
console.log('Duration range:', options.duration);

const project = await sogni.projects.create({
  type: 'audio',
  modelId: 'ace_step_1.5_turbo',
  positivePrompt: 'a calm lo-fi piano loop',
  numberOfMedia: 1,
  duration: 10,
  bpm: 90,
  keyscale: 'C major',
  outputFormat: 'mp3',
  tokenType: 'spark'
});

const audioUrls = await project.waitForCompletion();
const job = project.jobs[0];
const bytes = new Uint8Array(await (await job.getResultData()).arrayBuffer());
console.log('Audio URL:', audioUrls[0], `(${bytes.length} bytes)`);

result({ audioUrls, bytes: bytes.length, head: [...bytes.subarray(0, 3)] });
await sogni.dispose();
