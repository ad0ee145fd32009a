// The part of ThinkLens between a command and its request, bundled on its own as esbuild bundles
// the extension (the SDK external, imported on the first request): the latency benchmark loads it
// after its clock starts, so loading the engine counts.
export { createBackend } from '../../src/core/backends/createBackend';
export { ProfileCache } from '../../src/core/backends/profile';
export { prepareRun, runPlanned } from '../../src/core/plannedRun';
