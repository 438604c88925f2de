/*
 * cli/cmd_trace.h -- the `balloonsim trace` subcommand (cli/cmd_trace.c).
 *
 *   balloonsim trace generate [--set workload.KEY=V ...] [--duration 24h] [--step 300s]
 *                             [--seed N] [--vm I] [-o FILE.csv]
 *       writes the samples of a workload (any type) at t = 0, step, 2 step, ... < duration
 *       as a CSV trace (models/workload.h format, all five columns, provenance in '#' lines);
 *       -o - or no -o writes to standard output.  The VM's stream is
 *       sim_rng_stream(seed, "trace generate"); --vm sets the VM index (phase shift).
 *   balloonsim trace check FILE|DIR ...
 *       loads each CSV or Bitbrains trace (every usable file of a directory) and prints
 *       rows, what the quirk rules did, duration, and min/mean/max memory.
 *
 * Exit status: 0 ok; 2 bad usage or bad input, with one message naming the file and line
 * (or the option) on stderr.  --help prints the usage on stdout (exit 0).
 */
#ifndef CLI_CMD_TRACE_H
#define CLI_CMD_TRACE_H

/* argv[0] == "trace".  Returns the process exit status. */
int cli_cmd_trace(int argc, char **argv);

#endif
