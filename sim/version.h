/*
 * sim/version.h -- the version of this build: the release and the model digest
 * (sim/version.c; docs/database.md "Builds do not mix").
 *
 * The model digest is the first 12 hex digits of a SHA-256 over the sources that decide
 * results (sim/ and models/; the Makefile computes it at build time into
 * build/model_digest.h).  Every run records sim_version() in runs.version, and the
 * commands that resume a database (run, sweep, capacity, check -o) or merge databases
 * refuse to mix complete runs of one study made by builds with different versions.
 */
#ifndef SIM_VERSION_H
#define SIM_VERSION_H

#define SIM_RELEASE "0.1.0"

/* "0.1.0+model.<12 hex digits>": the release and the model digest of this build. */
const char *sim_version(void);
/* The 12 hex digits alone. */
const char *sim_model_digest(void);

#endif
