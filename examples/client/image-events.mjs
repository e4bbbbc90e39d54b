// Image generation with events (official README: "Using events").
import { SogniClient } from '@effect-sogni/client';
import { connection, result } from './env.mjs';

const sogni = await SogniClient.createInstance({ ...connection(), appSource: 'my-app', network: 'fast' });

sogni.apiClient.on('connected', ({ network }) => {
  console.log('Connected to Supernet:', network);
});
sogni.apiClient.on('disconnected', ({ code, reason }) => {
  console.log('Disconnected from Supernet:', code, reason);
});

await sogni.projects.waitForModels();

const project = await sogni.projects.create({
  type: 'image',
  modelId: 'flux1-schnell-fp8',
  steps: 4,
  guidance: 1,
  positivePrompt: 'A cat wearing a hat',
  negativePrompt:
    'malformation, bad anatomy, bad hands, missing fingers, cropped, low quality, bad quality, jpeg artifacts, watermark',
  stylePrompt: 'anime',
  numberOfMedia: 4,
  tokenType: 'spark', // 'sogni' or 'spark'
  network: 'fast' // 'fast' or 'relaxed'
});

const seen = { jobCompleted: [], jobFailed: 0, progress: 0 };

const finished = new Promise((resolve) => {
  // Fired when one of project jobs completed, you can get the resultUrl from the job
  // without waiting for the entire project to complete
  project.on('jobCompleted', (job) => {
    console.log('Job completed:', job.id, job.resultUrl);
    seen.jobCompleted.push(job.resultUrl);
  });

  // Fired when one of project jobs failed
  project.on('jobFailed', (job) => {
    console.log('Job failed:', job.id, job.error);
    seen.jobFailed += 1;
  });

  // Receive project completion percentage in real-time
  project.on('progress', (progress) => {
    seen.progress = progress;
  });

  // Fired when the project is fully completed
  project.on('completed', async (images) => {
    console.log('Project completed:', images);
    resolve({ images });
  });

  // Fired when the project failed
  project.on('failed', async (errorData) => {
    console.log('Project failed:', errorData);
    resolve({ errorData });
  });
});

const outcome = await finished;
result({ ...outcome, ...seen });
await sogni.dispose();
