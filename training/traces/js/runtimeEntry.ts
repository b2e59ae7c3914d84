import { installTraceRuntime } from './runtime';

// The bundle's entry (dist/traceRuntime.mjs): js_jobs.py passes the limits through the environment.
const setting = (name: string): number | undefined => {
  const value = Number(process.env[name]);
  return process.env[name] && Number.isFinite(value) ? value : undefined;
};
const budgetMs = setting('ASTROLABE_TRACE_BUDGET_MS');
const maxCalls = setting('ASTROLABE_TRACE_MAX_CALLS');
const graceMs = setting('ASTROLABE_TRACE_GRACE_MS');
installTraceRuntime({
  ...(budgetMs !== undefined ? { budgetMs } : {}),
  ...(maxCalls !== undefined ? { maxCalls } : {}),
  ...(graceMs !== undefined ? { graceMs } : {}),
});
