// A C interface to CLD2 (Debian libcld2-dev), whose API is C++: the language of UTF-8 text.
#ifndef MAILSIFT_CLD2_SHIM_H
#define MAILSIFT_CLD2_SHIM_H

#ifdef __cplusplus
extern "C" {
#endif

/// CLD2's answer for one text: its top three languages (ISO 639-1 codes as CLD2 writes them, "un" for
/// unknown), each one's share of the text's letters in percent, whether the first is reliably ahead, and the
/// letters scored (tags, digits and punctuation are not).
typedef struct {
    char codes[3][16];
    int percents[3];
    int reliable;
    int text_bytes;
} mailsift_cld2_result;

/// Detects the language of `length` bytes of UTF-8 (`plain_text` 0: HTML, whose tags CLD2 skips), without
/// hints. Returns 0, or -1 when the bytes are not valid UTF-8 (then `out` says unknown).
int mailsift_cld2_detect(const char *utf8, int length, int plain_text, mailsift_cld2_result *out);

/// CLD2's version and table build date.
const char *mailsift_cld2_version(void);

#ifdef __cplusplus
}
#endif

#endif
