// libpsl (Debian libpsl-dev) with the Public Suffix List (Debian publicsuffix): organisational domains for DMARC.
#include <libpsl.h>
