#!/usr/bin/env python3
"""Imitates a small evaluation run: structured events (to $DEVLOOP_EVENTS when set,
and always to the result folder's events.jsonl) and a rollouts-style result folder
RESULTS/NAME_TIMESTAMP/ with trajectories/, samples/ and report.json; sample 3 fails.
"""
import argparse
import datetime
import json
import os
import time

FAILING_SAMPLE = 3
MAX_TURNS = 3


def now() -> str:
    return datetime.datetime.now().isoformat()


class Events:
    """Appends one JSON object per line to every sink, flushed at once."""

    def __init__(self, paths):
        self.files = [open(p, "a", encoding="utf-8") for p in paths]

    def emit(self, kind, **fields):
        line = json.dumps({"type": kind, "timestamp": now(), **fields})
        for f in self.files:
            f.write(line + "\n")
            f.flush()


def write_json(path, value, indent=None):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=indent)


def run_sample(i, total, folder, events, delay):
    """One calculator question over up to two turns; returns (reward, status)."""
    sid = "sample_%04d" % i
    a, b = 12 + 3 * i, 7 + i
    question = "What is %d * %d? Use the calculator tool." % (a, b)
    messages = [
        {"role": "system", "content": "You are a careful **math** assistant."},
        {"role": "user", "content": question},
    ]
    traj_path = os.path.join(folder, "trajectories", sid + ".jsonl")

    def save_trajectory(reward, meta):
        # Appended after every turn: the last line is the trajectory's final state.
        state = {
            "messages": messages,
            "rewards": reward,
            "group": 0,
            "replica": 0,
            "advantages": 0.0,
            "metadata": {"sample_data": {"a": a, "b": b}, **meta},
            "completions": [],
        }
        with open(traj_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(state) + "\n")
        return state

    events.emit("sample_start", sample_id=sid, total=total, messages=messages)
    print("INFO evaluating %s" % sid, flush=True)

    events.emit("turn_start", sample_id=sid, turn=1, max_turns=MAX_TURNS)
    reply = "Let me compute that with the tool.\n\n```python\nprint(%d * %d)\n```\n" % (a, b)
    for word in reply.split(" "):
        events.emit("token", sample_id=sid, content=word + " ")
        time.sleep(delay)
    call = {
        "type": "toolCall",
        "id": "call_%d" % i,
        "name": "calculator",
        "arguments": {"expression": "%d * %d" % (a, b)},
    }
    messages.append({
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "%d times %d; the tool is exact." % (a, b)},
            {"type": "text", "text": reply},
            call,
        ],
    })
    save_trajectory(None, {})

    if i == FAILING_SAMPLE:
        meta = {"error": "ProviderError[openai]: 429 rate limited (attempts: 3)"}
        print("ERROR %s failed: %s" % (sid, meta["error"]), flush=True)
        reward, status = 0.0, "failed"
    else:
        messages.append({"role": "tool", "tool_call_id": call["id"], "content": str(a * b)})
        events.emit("turn_start", sample_id=sid, turn=2, max_turns=MAX_TURNS)
        messages.append({"role": "assistant", "content": "The answer is **%d**." % (a * b)})
        # Every fourth sample (2, 6, ...) is graded wrong, so rewards differ.
        reward = 0.0 if i % 4 == 2 else 1.0
        meta, status = {"turns": 2}, "completed"
    trajectory = save_trajectory(reward, meta)

    write_json(
        os.path.join(folder, "samples", sid + ".json"),
        {
            "id": sid,
            "index": i,
            "input": {"question": question},
            "ground_truth": str(a * b),
            "trajectory": trajectory,
            "reward": reward,
            "status": status,
            "metadata": meta,
            "score": {"metrics": [{"name": "correct", "value": reward, "weight": 1.0, "metadata": {}}]},
        },
        indent=2,
    )
    events.emit("sample_end", sample_id=sid, reward=reward, metadata=meta)
    return reward


def main() -> None:
    ap = argparse.ArgumentParser(description="a small evaluation with a result folder")
    ap.add_argument("--samples", type=int, default=5, help="how many samples")
    ap.add_argument("--delay", type=float, default=0.02, help="seconds between streamed tokens")
    ap.add_argument("--results", default="results", help="where result folders go")
    ap.add_argument("--name", default="calc_eval", help="eval name (folder prefix)")
    args = ap.parse_args()

    stamp = datetime.datetime.now().strftime("%Y%m%d_%H%M%S_%f")
    folder = os.path.join(args.results, "%s_%s" % (args.name, stamp))
    for sub in ("trajectories", "samples"):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
    # The line rollouts prints; devloop links the run to this folder from it.
    print("\U0001F4C2 Results directory: %s" % folder, flush=True)

    sinks = [os.path.join(folder, "events.jsonl")]
    if os.environ.get("DEVLOOP_EVENTS"):
        sinks.append(os.environ["DEVLOOP_EVENTS"])
    events = Events(sinks)

    rewards = []
    for i in range(args.samples):
        rewards.append(run_sample(i, args.samples, folder, events, args.delay))
        events.emit("progress", done=i + 1, total=args.samples)

    mean = sum(rewards) / len(rewards) if rewards else 0.0
    write_json(
        os.path.join(folder, "report.json"),
        {
            "eval_name": args.name,
            "dataset_path": "datasets/calc.jsonl",
            "total_samples": args.samples,
            "summary_metrics": {
                "mean_reward": mean,
                "min_reward": min(rewards, default=0.0),
                "max_reward": max(rewards, default=0.0),
            },
            "config": {"model": "demo-model", "temperature": 0.0},
            "timestamp": now(),
            "sample_ids": ["sample_%04d" % i for i in range(args.samples)],
        },
        indent=2,
    )
    print("SUCCESS mean_reward=%.3f over %d samples" % (mean, args.samples), flush=True)


if __name__ == "__main__":
    main()
