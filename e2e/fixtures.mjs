// Small projects the tests make for themselves (besides the bundled demo):
// configs are Python scripts run as `python3 {config}`.

/** A script printing `PREFIX tick N` for N = 1..count at `rate` lines/s, flushed one by one. */
export function tickerScript(prefix, count, rate) {
  return `import sys, time
prefix, count, rate = ${JSON.stringify(prefix)}, ${count}, ${rate}
start = time.monotonic()
for i in range(1, count + 1):
    delay = start + i / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    sys.stdout.write(f"{prefix} tick {i}\\n")
    sys.stdout.flush()
`;
}

/** The files of a project whose configs are ticker scripts. @param {Record<string, [string, number, number]>} configs name → [prefix, count, rate] */
export function tickerProject(configs) {
  const files = {
    'devloop.toml': '[launch]\ncommand = ["python3", "{config}"]\nmax_concurrent = 4\nstop_grace_secs = 2\nenv = { PYTHONUNBUFFERED = "1" }\n',
  };
  for (const [name, [prefix, count, rate]] of Object.entries(configs)) files[`configs/${name}`] = tickerScript(prefix, count, rate);
  return files;
}
