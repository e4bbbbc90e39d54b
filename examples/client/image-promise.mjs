// Image generation with promises (official README: "Using promises").
import { SogniClient } from '@effect-sogni/client';
import { connection, result } from './env.mjs';

const sogni = await SogniClient.createInstance({
  ...connection(),
  appSource: 'my-app',
  network: 'fast',
  logLevel: 'warn'
});

const models = await sogni.projects.waitForModels();
// the image model with the most workers
const mostPopularModel = models
  .filter((m) => m.media === 'image')
  .reduce((a, b) => (a.workerCount > b.workerCount ? a : b));

const project = await sogni.projects.create({
  type: 'image',
  modelId: mostPopularModel.id,
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

const progress = [];
project.on('progress', (p) => {
  progress.push(p);
  console.log('Project progress:', p);
});

const imageUrls = await project.waitForCompletion();
// Now you can use image URLs to download images.
// Note that images will be available for 24 hours only!
console.log('Image URLs:', imageUrls);

result({ model: mostPopularModel.id, imageUrls, lastProgress: progress.at(-1), status: project.status });
await sogni.dispose();
