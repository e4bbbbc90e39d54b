// Text-to-video (official README: "Text-to-Video Example"), with a cost estimate first.
import { SogniClient } from '@effect-sogni/client';
import { connection, result } from './env.mjs';

const sogni = await SogniClient.createInstance({ ...connection(), network: 'fast' });

const estimate = await sogni.projects.estimateVideoCost({
  tokenType: 'spark',
  model: 'wan_v2.2-14b-fp8_t2v_lightx2v',
  width: 512,
  height: 512,
  duration: 5,
  fps: 16,
  numberOfMedia: 1
});
console.log('Estimated cost:', estimate.token, 'spark');

const project = await sogni.projects.create({
  type: 'video',
  network: 'fast',
  modelId: 'wan_v2.2-14b-fp8_t2v_lightx2v',
  positivePrompt: 'A serene ocean wave crashing on a beach at sunset',
  fps: 16,
  frames: 81,
  width: 512,
  height: 512,
  // the official README leaves it out, but the official client 5.54 then never settles a video project
  // (it waits for `numberOfMedia` jobs): with it, this script runs unchanged on both clients
  numberOfMedia: 1,
  tokenType: 'spark'
});

project.on('jobStarted', (job) => console.log('Rendering on', job.workerName));
const videoUrls = await project.waitForCompletion();
console.log('Video URL:', videoUrls[0]);

result({ videoUrls, estimate: estimate.token });
await sogni.dispose();
