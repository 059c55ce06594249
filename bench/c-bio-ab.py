#!/usr/bin/env python3
"""Interleaved A/B of C reference programs in --serve mode (tlsbench, membio and its --bio variants).

Each variant runs in a process of its own, all pinned to one CPU (taskset -c CPU); for every scenario their samples
are taken in turns, rotating who goes first, and each variant's rate is divided by the first variant's in the same
round. Prints, per scenario and variant, the median rate and the median of the round-by-round ratios to the first.
Used for docs/benchmarks.md, "Records against a memory-BIO C program".

  bench/c-bio-ab.py --pki DIR [--rounds N] [--sample-ms MS] [--warmup-ms MS] [--cpu N]
                    --variant NAME=COMMAND... SCENARIO...
  e.g. --variant 'tlsbench=native/build/bench/tlsbench' --variant 'mem=native/build/bench/membio'
       --variant 'caller=native/build/bench/membio --bio caller' record-aes128gcm-512
The PKI directory holds root.pem, ec.pem, ec.key, rsa.pem, rsa.key (bench/OpenSslTls.Benchmarks makes them; any
certificate for "localhost" signed by root.pem does).
"""
import argparse
import os
import shlex
import statistics
import subprocess


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pki", required=True)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--sample-ms", type=int, default=300)
    parser.add_argument("--warmup-ms", type=int, default=300)
    parser.add_argument("--cpu", default="0", help="CPU to pin every process to, or 'none'")
    parser.add_argument("--variant", action="append", required=True, help="NAME=COMMAND (the first is the reference)")
    parser.add_argument("scenarios", nargs="+")
    args = parser.parse_args()

    variants = []
    for spec in args.variant:
        name, _, command = spec.partition("=")
        argv = shlex.split(command) + ["--pki", args.pki, "--serve"]
        if args.cpu != "none":
            argv = ["taskset", "-c", args.cpu] + argv
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        variants.append((name, process))

    def ask(process, line):
        process.stdin.write(line + "\n")
        process.stdin.flush()
        reply = process.stdout.readline().strip()
        if not reply:
            raise SystemExit(f"no answer to '{line}'")
        return reply

    print(f"# load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for scenario in args.scenarios:
        for _, process in variants:
            if ask(process, f"setup {scenario}") != "ok":
                raise SystemExit(f"setup {scenario} failed")
        for _, process in variants:
            ask(process, f"run {args.warmup_ms}")
        rates = [[] for _ in variants]
        for round_index in range(args.rounds):
            for turn in range(len(variants)):
                who = (round_index + turn) % len(variants)
                rates[who].append(float(ask(variants[who][1], f"run {args.sample_ms}").split()[0]))
        for _, process in variants:
            ask(process, "teardown")
        size = next((int(part) for part in scenario.split("-") if part.isdigit() and int(part) >= 64), None)
        scale, unit = (size / 1e6, "MB/s") if scenario.startswith("record-") else (1.0, "handshakes/s")
        for index, (name, _) in enumerate(variants):
            ratios = [r / base for r, base in zip(rates[index], rates[0])]
            samples = " ".join(f"{r * scale:.1f}" for r in rates[index])
            print(f"{scenario} {name}: {statistics.median(rates[index]) * scale:.1f} {unit}; "
                  f"/{variants[0][0]} round by round median {statistics.median(ratios):.3f} "
                  f"(min {min(ratios):.3f} max {max(ratios):.3f}); samples {samples}", flush=True)
    print(f"# load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for _, process in variants:
        process.stdin.write("quit\n")
        process.stdin.close()
        process.wait()


if __name__ == "__main__":
    main()
