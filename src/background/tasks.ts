/**
 * Work the popup asks for on a finished job: a fooling image (fooling jobs), the sanity check of a
 * saliency map, DeepDream of any job's image. Each is queued behind the jobs already waiting
 * (./jobs.ts startTask), shows its progress in the job's record and can be cancelled.
 */
import { SALIENCY_METHODS, type SaliencyMethodName } from '../methods/explain/index.js';
import { STORAGE_KEYS, type FoolData, type FoolInfo, type SaliencyData } from '../shared/jobs.js';
import type { FoolRequest } from '../shared/messages.js';
import { pngPixels, rgbPng, startTask } from './jobs.js';
import { classifyPixels, dreamForJob, foolForJob, sanityForJob } from './methods-sw.js';

const FOOL_TITLES = { cs231n: 'CS231n gradient ascent', pgd: 'PGD', fgsm: 'FGSM' } as const;

export function startFool(request: FoolRequest) {
  const id = request.jobId;
  const key = STORAGE_KEYS.foolPrefix + id;
  return startTask(id, {
    field: 'foolRun',
    method: FOOL_TITLES[request.method],
    refuse: (job) => (job.kind !== 'fool' ? 'this is not a fooling job: right-click the image and choose "Make a fooling image…"' : job.state !== 'done' ? 'the image has not been classified yet' : null),
    work: async (_job, signal, progress) => {
      const data = (await chrome.storage.session.get(key))[key] as FoolData | undefined;
      if (!data) throw new Error('the image of this job is not stored any more');
      const { rgb } = await pngPixels(data.view);
      const { result, target, summary, backend } = await foolForJob(rgb, request, { signal, onProgress: progress });
      const fooled = await rgbPng(result.pixels, data.size);
      // What users download and put on the page is the PNG: classify exactly its bytes again.
      const back = await pngPixels(fooled);
      for (let i = 0; i < back.rgb.length; i++) if (back.rgb[i] !== result.pixels[i]) throw new Error('the fooled image changed when saved as PNG');
      const again = (await classifyPixels(back.rgb))[0];
      const m = result.metrics;
      const info: FoolInfo = {
        method: request.method,
        budget: request.budget,
        confidence: request.confidence,
        target: { index: target.index, label: target.label, how: request.target.kind },
        source: summary.source,
        success: m.success && again.index === target.index && again.prob >= request.confidence,
        iterations: m.iterations,
        linf: m.linf,
        l2: m.l2,
        changedPixels: m.changedPixels,
        targetProbBefore: m.targetProbBefore ?? 0,
        targetProbAfter: m.targetProbAfter ?? 0,
        reclassified: again,
        backend,
        ms: m.ms,
      };
      return {
        patch: (j) => (j.fool = info),
        extra: { [key]: { ...data, fooled } satisfies FoolData },
        log: `fooling image (${request.method}, budget ${request.budget}) → ${target.label}: ${info.success ? 'fooled' : 'NOT fooled'}, ${m.iterations} steps, L∞ ${m.linf}/255, re-classified as ${again.label} ${(again.prob * 100).toFixed(1)} %`,
      };
    },
  });
}

export function startSanity(jobId: string) {
  const key = STORAGE_KEYS.saliencyPrefix + jobId;
  return startTask(jobId, {
    field: 'sanityRun',
    method: 'model randomization',
    refuse: (job) => (job.kind !== 'saliency' || job.state !== 'done' || !job.saliency ? 'not a finished saliency job' : null),
    work: async (job, signal, progress) => {
      const data = (await chrome.storage.session.get(key))[key] as SaliencyData | undefined;
      if (!data) throw new Error('the image of this job is not stored any more');
      const info = job.saliency!;
      const { rgb } = await pngPixels(data.view);
      const sanity = await sanityForJob(rgb, info.method as SaliencyMethodName, info.classIndex, { signal, onProgress: progress });
      sanity.mapMs = info.ms; // which map it checked (a re-run changes ms)
      return {
        patch: (j) => {
          // Only if the map it checked is still the one shown.
          if (j.saliency?.method === info.method && j.saliency.ms === info.ms) j.sanity = sanity;
        },
        log: `sanity check of ${SALIENCY_METHODS[info.method as SaliencyMethodName]?.title ?? info.method}: ${sanity.message}`,
      };
    },
  });
}

export function startDream(jobId: string) {
  return startTask(jobId, {
    field: 'dreamRun',
    method: 'DeepDream',
    refuse: (job) => (job.kind === 'visualize' ? 'a class visualization has no photo to dream on' : job.state !== 'done' ? 'the image has not been read yet' : null),
    work: async (_job, signal, progress, preview) => {
      const thumbKey = STORAGE_KEYS.thumbPrefix + jobId;
      const thumb = (await chrome.storage.session.get(thumbKey))[thumbKey] as string | undefined;
      if (!thumb) throw new Error('the image of this job is not stored any more');
      // The stored copy (long side ≤ 400 px) is the right size for a dream in a popup.
      const { width, height, rgb } = await pngPixels(thumb);
      const dream = await dreamForJob({ width, height, data: rgb }, { signal, onProgress: progress, onPreview: (p) => void rgbPng(p.rgb, p.width, p.height).then(preview) });
      const png = await rgbPng(dream.rgb, dream.width, dream.height);
      return {
        patch: (j) => (j.dream = { layer: dream.layer, width: dream.width, height: dream.height, objectiveGain: dream.gain, ms: dream.ms, backend: dream.backend }),
        extra: { [STORAGE_KEYS.dreamPrefix + jobId]: png },
        log: `DeepDream (${dream.layer}) ${dream.width}×${dream.height}: objective ×${dream.gain.toFixed(2)} in ${(dream.ms / 1000).toFixed(1)} s`,
      };
    },
  });
}
