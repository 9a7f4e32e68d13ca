// `densetrain mine`: hard negatives for (query, positive) records, written as they are mined, with
// a progress bar (and ETA) per stage on stderr and a JSON summary on stdout at the end.
import { mine, type MineOptions, type MineSummary } from '../mine/mine.js';
import { progress, type Progress } from '../progress.js';

export async function mineCommand(o: MineOptions): Promise<MineSummary> {
  const bars = new Map<string, Progress>();
  const summary = await mine(o, {
    log: (line) => console.log(line),
    progress: (stage, done, total) => {
      let bar = bars.get(stage);
      if (!bar) bars.set(stage, (bar = progress(stage)));
      bar.update(done, total);
      if (done >= total) {
        bar.done();
        bars.delete(stage);
      }
    },
  });
  for (const bar of bars.values()) bar.done();
  return summary;
}
