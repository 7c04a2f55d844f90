#!/bin/bash
# The rest of the run-time matrix (make check-full): see tests/t-bed.sh.
T_BED_SET=matrix
. "$(dirname "$0")/t-bed.sh"
