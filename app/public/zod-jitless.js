// A classic script, run before the app's modules: zod compiles fast parsers with
// `new Function` (and probes for it first) unless its global configuration says `jitless`, and it
// reads that setting when each schema is built, i.e. while the modules load. The app's
// Content-Security-Policy has no 'unsafe-eval', so the setting must be in place before zod loads;
// `globalThis.__zod_globalConfig` is the object zod v4's `config()` writes to.
globalThis.__zod_globalConfig = Object.assign(globalThis.__zod_globalConfig || {}, {
  jitless: true,
});
