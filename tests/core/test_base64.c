/* test_base64.c — core/base64.c: RFC 4648 vectors, lenient decoding, the canonical-form check. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"

/* RFC 4648 section 10. */
static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
static const char *const coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};

Test(core_base64, encodes_the_rfc_4648_vectors) {
  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
    char *s = baton__b64_encode(plain[i], strlen(plain[i]));
    cr_assert_str_eq(s, coded[i]);
    cr_assert(baton__b64_is_canonical(s, strlen(s)), "%s", s);
    free(s);
  }
}

Test(core_base64, decodes_the_rfc_4648_vectors) {
  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
    size_t n = 99;
    unsigned char *d = baton__b64_decode(coded[i], strlen(coded[i]), &n);
    cr_assert_not_null(d, "%s", coded[i]);
    cr_assert_eq(n, strlen(plain[i]));
    cr_assert_eq(memcmp(d, plain[i], n), 0);
    cr_assert_eq(d[n], '\0');
    free(d);
  }
}

Test(core_base64, round_trips_every_byte_value) {
  unsigned char all[256];
  for (int i = 0; i < 256; i++)
    all[i] = (unsigned char)i;
  char *s = baton__b64_encode(all, sizeof all);
  size_t n = 0;
  unsigned char *d = baton__b64_decode(s, strlen(s), &n);
  cr_assert_eq(n, sizeof all);
  cr_assert_eq(memcmp(d, all, n), 0);
  free(s);
  free(d);
}

Test(core_base64, decoding_accepts_white_space_missing_padding_and_the_url_alphabet) {
  size_t n = 0;
  unsigned char *d = baton__b64_decode("Zm9v\nYg", 7, &n);
  cr_assert_not_null(d);
  cr_assert_eq(n, 4);
  cr_assert_eq(memcmp(d, "foob", 4), 0);
  free(d);
  d = baton__b64_decode("-_8=", 4, &n); /* 0xfb 0xff */
  cr_assert_not_null(d);
  cr_assert_eq(n, 2);
  cr_assert(d[0] == 0xfb && d[1] == 0xff);
  free(d);
}

Test(core_base64, decoding_refuses_malformed_input) {
  size_t n = 0;
  cr_assert_null(baton__b64_decode("Zm9v!", 5, &n));
  cr_assert_null(baton__b64_decode("Zg=v", 4, &n)); /* data after padding */
  cr_assert_null(baton__b64_decode("Z", 1, &n));    /* a lone sixth bit group */
}

Test(core_base64, canonical_form_is_only_what_the_encoder_writes) {
  cr_assert(baton__b64_is_canonical("Zm9vYg==", 8));
  cr_assert_not(baton__b64_is_canonical("Zm9vYg", 6));   /* padding missing */
  cr_assert_not(baton__b64_is_canonical("Zm9v\nYg=", 8)); /* white space */
  cr_assert_not(baton__b64_is_canonical("-_8=", 4));     /* URL-safe alphabet */
  cr_assert_not(baton__b64_is_canonical("Z===", 4));     /* three pads */
  cr_assert_not(baton__b64_is_canonical("Zg=v", 4));     /* data after padding */
}
