// The system OpenSSL (Debian's libssl-dev): its EVP API for the signature suites
// BoringSSL lacks (ECDSA P-256 and RSA-PSS alike, for one code path), and the
// engines that add GOST (libengine-gost-openssl) and PKCS#11 (libengine-pkcs11-openssl).
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/err.h>
#include <openssl/engine.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/ec.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>

// Macros Swift cannot call.
static inline int roster_EVP_PKEY_CTX_set_rsa_pss(EVP_PKEY_CTX *ctx) {
    if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) <= 0) return 0;
    return EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) > 0;
}
static inline long roster_BIO_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }
// RFC 2253 names, with UTF-8 left as UTF-8 (national CAs name agencies in their own scripts).
static const unsigned long roster_XN_FLAG_RFC2253 = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
