import { ScanReport } from './scanReport';

/** What the scan worker tells its owner. */
export type WorkerMessage =
  | { readonly type: 'progress'; readonly root: string; readonly seen: number; readonly parsed: number; readonly units: number }
  | { readonly type: 'done'; readonly report: ScanReport }
  | { readonly type: 'failed'; readonly cancelled: boolean; readonly message: string; readonly stack?: string };
