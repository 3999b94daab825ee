#!/usr/bin/env python3
"""devloop demo evaluation: a pretend agent solving arithmetic with a calculator tool.

It prints what real evaluation runs print (log lines of every level, ANSI colours,
a tqdm-style progress bar), writes structured events to $DEVLOOP_EVENTS and a
rollouts-style result folder under results/. Settings come from the config file
given as the only argument (.py with UPPER_CASE names, .toml or .json).
"""
import datetime, json, logging, os, random, signal, sys, time

DEFAULTS = {
    "EVAL_NAME": "calc_eval", "SAMPLES": 6, "DELAY": 0.05, "FAIL_SAMPLE": 3,
    "FLOOD_LINES": 0, "IGNORE_SIGTERM": False, "DURATION": 0, "SEED": 0,
}


def load_config(path):
    cfg = dict(DEFAULTS)
    if path.endswith(".py"):
        ns = {}
        with open(path) as f:
            exec(compile(f.read(), path, "exec"), ns)
        cfg.update({k: v for k, v in ns.items() if k.isupper()})
    elif path.endswith(".toml"):
        import tomllib
        with open(path, "rb") as f:
            cfg.update({k.upper(): v for k, v in tomllib.load(f).items()})
    elif path.endswith(".json"):
        with open(path) as f:
            cfg.update({k.upper(): v for k, v in json.load(f).items()})
    return cfg


def flood(n):
    out = sys.stdout
    for i in range(1, n + 1):
        out.write(f"line {i} of {n}: the quick brown fox jumps over the lazy dog\n")
    out.flush()
    print(f"flood done: {n} lines")


def main():
    cfg = load_config(sys.argv[1])
    logging.basicConfig(level=logging.DEBUG, stream=sys.stdout,
                        format="%(asctime)s %(levelname)-7s %(message)s")
    log = logging.getLogger("demo")
    if cfg["IGNORE_SIGTERM"]:
        signal.signal(signal.SIGTERM, lambda *_: log.warning("got SIGTERM; ignoring it (devloop will SIGKILL)"))
    if cfg["FLOOD_LINES"]:
        flood(int(cfg["FLOOD_LINES"]))
        return 0
    rng = random.Random(cfg["SEED"])
    n, delay, name = int(cfg["SAMPLES"]), float(cfg["DELAY"]), cfg["EVAL_NAME"]
    stamp = datetime.datetime.now().strftime("%Y%m%d_%H%M%S_%f")
    out = os.path.join("results", f"{name}_{stamp}")
    os.makedirs(os.path.join(out, "trajectories"), exist_ok=True)
    os.makedirs(os.path.join(out, "samples"), exist_ok=True)
    print(f"\U0001F4C2 Results directory: {out}", flush=True)
    sinks = [open(os.path.join(out, "events.jsonl"), "a")]
    if os.environ.get("DEVLOOP_EVENTS"):
        sinks.append(open(os.environ["DEVLOOP_EVENTS"], "a"))

    def emit(kind, **data):
        line = json.dumps({"type": kind, "timestamp": datetime.datetime.now().isoformat(), **data})
        for s in sinks:
            s.write(line + "\n")
            s.flush()

    log.info("starting %s: %d samples (run %s)", name, n, os.environ.get("DEVLOOP_RUN_ID", "?"))
    log.debug("config: %s", json.dumps({k: v for k, v in cfg.items() if not k.startswith("_")}))
    print("\x1b[1;32mSUCCESS\x1b[0m connected to \x1b[36mdemo model endpoint\x1b[0m")
    print("::group::environment")
    for k in ("DEVLOOP_RUN_ID", "DEVLOOP_RUN_DIR", "DEVLOOP_EVENTS", "PYTHONUNBUFFERED"):
        print(f"{k}={os.environ.get(k, '')}")
    print("::endgroup::")
    emit("progress", done=0, total=n)
    rewards, ids = [], []
    for i in range(n):
        sid = f"sample_{i:04d}"
        ids.append(sid)
        x, y = 17 + i, 25 + 2 * i
        msgs = [{"role": "system", "content": "You are a careful **math** assistant."},
                {"role": "user", "content": f"What is {x} * {y}? Use the calculator tool."}]
        emit("sample_start", sample_id=sid, total=n, messages=msgs)
        log.info("evaluating %s", sid)
        emit("turn_start", sample_id=sid, turn=1, max_turns=2)
        answer = f"I'll multiply with the tool.\n\n```python\nprint({x} * {y})\n```\n"
        for word in answer.split(" "):
            emit("token", sample_id=sid, content=word + " ")
            time.sleep(delay / 4)
        call = {"type": "toolCall", "id": f"call_{i}", "name": "calculator",
                "arguments": {"expression": f"{x} * {y}"}}
        failed = i == cfg["FAIL_SAMPLE"]
        if failed:
            log.error("%s FAILED: ProviderError[openai]: rate limited (429)", sid)
            reward, status, meta = 0.0, "failed", {"error": "ProviderError[openai]: rate limited (429)"}
            msgs += [{"role": "assistant", "content": [{"type": "text", "text": answer}]}]
        else:
            emit("turn_start", sample_id=sid, turn=2, max_turns=2)
            final = f"The answer is **{x * y}**."
            for word in final.split(" "):
                emit("token", sample_id=sid, content=word + " ")
                time.sleep(delay / 4)
            wrong = rng.random() < 0.25
            reward = 0.0 if wrong else 1.0
            if wrong:
                log.warning("%s: answer did not match ground truth", sid)
            status, meta = "completed", {}
            msgs += [{"role": "assistant", "content": [{"type": "thinking", "thinking": f"{x} times {y}..."},
                                                        {"type": "text", "text": answer}, call]},
                     {"role": "tool", "tool_call_id": f"call_{i}", "content": str(x * y)},
                     {"role": "assistant", "content": final}]
        for step in range(21):
            bar = "\u2588" * step + " " * (20 - step)
            sys.stderr.write(f"\r{sid}: {step * 5:3d}%|{bar}| {step}/20")
            sys.stderr.flush()
            time.sleep(delay / 10)
        sys.stderr.write("\n")
        rewards.append(reward)
        traj = {"messages": msgs, "rewards": reward, "group": 0, "replica": 0, "metadata": {"sample_data": {"x": x, "y": y}}}
        with open(os.path.join(out, "trajectories", f"{sid}.jsonl"), "w") as f:
            f.write(json.dumps(traj) + "\n")
        with open(os.path.join(out, "samples", f"{sid}.json"), "w") as f:
            json.dump({"id": sid, "index": i, "input": {"question": msgs[1]["content"]}, "ground_truth": str(x * y),
                       "trajectory": traj, "reward": reward, "status": status, "metadata": meta,
                       "score": {"metrics": [{"name": "correct", "value": reward, "weight": 1.0, "metadata": {}}]}}, f, indent=1)
        emit("sample_end", sample_id=sid, reward=reward, metadata=meta)
        emit("progress", done=i + 1, total=n)
    end = time.time() + float(cfg["DURATION"])
    while time.time() < end:
        log.info("still working (%.0fs left)", end - time.time())
        time.sleep(1)
    mean = sum(rewards) / len(rewards) if rewards else 0.0
    report = {"eval_name": name, "dataset_path": "datasets/arith.jsonl", "total_samples": n,
              "summary_metrics": {"mean_reward": mean, "min_reward": min(rewards, default=0.0),
                                  "max_reward": max(rewards, default=0.0)},
              "config": cfg, "timestamp": datetime.datetime.now().isoformat(), "sample_ids": ids}
    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    failed = rewards.count(0.0)
    print(f"\x1b[31mERROR\x1b[0m {failed} sample(s) scored 0; " if failed else "", end="")
    print(f"done: mean reward {mean:.2f} over {n} samples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
