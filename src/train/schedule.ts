// Learning-rate schedules with linear warmup, as transformers' get_{constant,linear,cosine}_schedule_with_warmup.
// `step` counts optimizer steps already taken (0 for the first update), as torch's LambdaLR does.
export type ScheduleName = 'constant' | 'linear' | 'cosine';

export function lrAt(step: number, baseLr: number, schedule: ScheduleName, warmupSteps: number, totalSteps: number): number {
  if (step < warmupSteps) return (baseLr * step) / Math.max(1, warmupSteps);
  if (schedule === 'constant') return baseLr;
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  if (schedule === 'linear') return baseLr * Math.max(0, 1 - progress);
  return baseLr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}
