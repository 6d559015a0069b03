// CLD2 behind a C interface (see include/cld2_shim.h).
#include <cstdio>
#include <cstring>
#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>
#include "cld2_shim.h"

namespace CLD2 {
// A table of libcld2_full (the 160-language tables), named so that the library is linked even where the
// linker drops libraries nothing refers to. It must come before libcld2 in the link, so that its tables take
// the place of libcld2's 83-language ones (Package.swift links it first; a test checks that they did).
extern const int kQuad_obj;
}

static void copy_code(char *dst, CLD2::Language language) {
    const char *code = CLD2::LanguageCode(language);
    std::snprintf(dst, 16, "%s", code ? code : "un");
}

extern "C" int mailsift_cld2_detect(const char *utf8, int length, int plain_text, mailsift_cld2_result *out) {
    CLD2::CLDHints hints = {nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
    CLD2::Language languages[3];
    int percents[3] = {0, 0, 0};
    double scores[3];
    int text_bytes = 0;
    bool reliable = false;
    int valid_prefix = 0;
    CLD2::ExtDetectLanguageSummaryCheckUTF8(utf8, length, plain_text != 0, &hints, 0, languages, percents, scores,
                                            nullptr, &text_bytes, &reliable, &valid_prefix);
    for (int i = 0; i < 3; i++) {
        copy_code(out->codes[i], languages[i]);
        out->percents[i] = percents[i];
    }
    out->reliable = reliable ? 1 : 0;
    out->text_bytes = text_bytes;
    return valid_prefix < length ? -1 : 0;
}

extern "C" const char *mailsift_cld2_version(void) {
    // Refers to the full tables (see above); the answer is CLD2's own.
    static const void *volatile full_tables = &CLD2::kQuad_obj;
    (void)full_tables;
    return CLD2::DetectLanguageVersion();
}
