// libmagic (Debian libmagic-dev): file types from content, for attachments.
#include <stddef.h>
#include <magic.h>
