// Image decoding for attachments and inline images (Debian packages; docs/content.md).
#include <stddef.h>
#include <turbojpeg.h>
