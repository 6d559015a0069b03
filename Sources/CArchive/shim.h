// libarchive (Debian libarchive-dev): listing archives attached to mail (names, sizes, encryption), never unpacking
// them beyond the limits the caller sets.
#include <archive.h>
#include <archive_entry.h>
