/*
 * sim/version.c -- the version string of this build (sim/version.h): the release and the
 * model digest, which the Makefile writes into $(BUILD)/model_digest.h (only when it
 * changes, so that only this file is recompiled).  docs/database.md "Builds do not mix".
 */
#include "sim/version.h"
#include "model_digest.h"

_Static_assert(sizeof BALLOONSIM_MODEL == 13, "BALLOONSIM_MODEL must be 12 hex digits (the Makefile's MODEL_DIGEST; "
               "is sha256sum installed?)");

const char *sim_version(void) { return SIM_RELEASE "+model." BALLOONSIM_MODEL; }
const char *sim_model_digest(void) { return BALLOONSIM_MODEL; }
