//! Object identifiers used by Siegel, in one place, with their names.

use const_oid::ObjectIdentifier as Oid;

macro_rules! oids {
    ($($(#[$m:meta])* $name:ident = $value:literal, $label:literal;)*) => {
        $($(#[$m])* pub const $name: Oid = Oid::new_unwrap($value);)*
        /// A readable name for an OID Siegel knows, or the dotted form.
        pub fn name(oid: &Oid) -> String {
            $(if *oid == $name { return $label.to_string(); })*
            match OTHER_NAMES.iter().find(|(o, _)| o == oid) {
                Some((_, n)) => format!("{n} ({oid})"),
                None => oid.to_string(),
            }
        }
    };
}

/// Names for OIDs Siegel does not use but may have to mention (an extension, extended key usage or
/// algorithm it meets in a certificate or message), written "name (oid)". The names are those of
/// const-oid's database, which `name` used to search; the database itself (about a thousand OIDs) is
/// left out of the binary.
const OTHER_NAMES: &[(Oid, &str)] = &[
    (Oid::new_unwrap("1.3.6.1.5.5.7.3.1"), "id-kp-serverAuth"),
    (Oid::new_unwrap("1.3.6.1.5.5.7.3.2"), "id-kp-clientAuth"),
    (Oid::new_unwrap("1.3.6.1.5.5.7.3.3"), "id-kp-codeSigning"),
    (Oid::new_unwrap("1.3.6.1.5.5.7.3.8"), "id-kp-timeStamping"),
    (Oid::new_unwrap("1.3.6.1.5.5.7.3.9"), "id-kp-OCSPSigning"),
    (Oid::new_unwrap("2.5.29.9"), "id-ce-subjectDirectoryAttributes"),
    (Oid::new_unwrap("2.5.29.16"), "id-ce-privateKeyUsagePeriod"),
    (Oid::new_unwrap("2.5.29.18"), "id-ce-issuerAltName"),
    (Oid::new_unwrap("2.5.29.20"), "id-ce-cRLNumber"),
    (Oid::new_unwrap("2.5.29.21"), "id-ce-cRLReasons"),
    (Oid::new_unwrap("2.5.29.23"), "id-ce-holdInstructionCode"),
    (Oid::new_unwrap("2.5.29.24"), "id-ce-invalidityDate"),
    (Oid::new_unwrap("2.5.29.27"), "id-ce-deltaCRLIndicator"),
    (Oid::new_unwrap("2.5.29.28"), "id-ce-issuingDistributionPoint"),
    (Oid::new_unwrap("2.5.29.29"), "id-ce-certificateIssuer"),
    (Oid::new_unwrap("2.5.29.30"), "id-ce-nameConstraints"),
    (Oid::new_unwrap("2.5.29.31"), "id-ce-cRLDistributionPoints"),
    (Oid::new_unwrap("2.5.29.32"), "id-ce-certificatePolicies"),
    (Oid::new_unwrap("2.5.29.33"), "id-ce-policyMappings"),
    (Oid::new_unwrap("2.5.29.36"), "id-ce-policyConstraints"),
    (Oid::new_unwrap("2.5.29.46"), "id-ce-freshestCRL"),
    (Oid::new_unwrap("2.5.29.54"), "id-ce-inhibitAnyPolicy"),
    (Oid::new_unwrap("1.3.6.1.5.5.7.1.1"), "id-pe-authorityInfoAccess"),
    (Oid::new_unwrap("1.3.6.1.5.5.7.1.11"), "id-pe-subjectInfoAccess"),
    (Oid::new_unwrap("1.3.6.1.4.1.11129.2.4.2"), "ct-precert-scts"),
    (Oid::new_unwrap("1.3.6.1.5.5.7.48.1.5"), "id-pkix-ocsp-nocheck"),
    (Oid::new_unwrap("1.2.840.113549.1.1.2"), "md2WithRSAEncryption"),
    (Oid::new_unwrap("1.2.840.113549.1.1.4"), "md5WithRSAEncryption"),
    (Oid::new_unwrap("1.2.840.113549.2.2"), "id-md2"),
    (Oid::new_unwrap("1.2.840.113549.2.5"), "id-md5"),
    (Oid::new_unwrap("1.2.840.10045.4.3.1"), "ecdsa-with-SHA224"),
    (Oid::new_unwrap("1.3.101.110"), "id-X25519"),
    (Oid::new_unwrap("1.3.101.111"), "id-X448"),
    (Oid::new_unwrap("1.3.101.112"), "id-Ed25519"),
    (Oid::new_unwrap("1.3.101.113"), "id-Ed448"),
    (Oid::new_unwrap("1.2.840.10046.2.1"), "dhpublicnumber"),
    (Oid::new_unwrap("1.2.840.113549.3.2"), "rc2-cbc"),
    (Oid::new_unwrap("1.2.840.113549.1.9.16.3.6"), "id-alg-CMS3DESwrap"),
    (Oid::new_unwrap("1.2.840.113549.1.5.12"), "id-PBKDF2"),
    (Oid::new_unwrap("1.2.840.113549.2.8"), "id-hmacWithSHA224"),
    (Oid::new_unwrap("1.2.840.113549.2.9"), "id-hmacWithSHA256"),
    (Oid::new_unwrap("1.2.840.113549.2.10"), "id-hmacWithSHA384"),
    (Oid::new_unwrap("1.2.840.113549.2.11"), "id-hmacWithSHA512"),
    (Oid::new_unwrap("1.2.840.113549.1.7.5"), "id-digestedData"),
    (Oid::new_unwrap("1.2.840.113549.1.7.6"), "id-encryptedData"),
    (Oid::new_unwrap("1.2.840.113549.1.9.16.1.2"), "id-ct-authData"),
    (Oid::new_unwrap("1.2.840.113549.1.9.16.1.9"), "id-ct-compressedData"),
    (Oid::new_unwrap("1.2.840.113549.1.9.6"), "id-countersignature"),
    (Oid::new_unwrap("1.2.840.113549.1.9.16.2.1"), "id-aa-receiptRequest"),
    (Oid::new_unwrap("1.2.840.113549.1.9.16.2.12"), "id-aa-signingCertificate"),
    (Oid::new_unwrap("1.2.840.113549.1.9.16.2.47"), "id-aa-signingCertificateV2"),
];

oids! {
    /// id-data
    DATA = "1.2.840.113549.1.7.1", "data";
    /// id-signedData
    SIGNED_DATA = "1.2.840.113549.1.7.2", "signedData";
    /// id-envelopedData
    ENVELOPED_DATA = "1.2.840.113549.1.7.3", "envelopedData";
    /// id-ct-authEnvelopedData (RFC 5083)
    AUTH_ENVELOPED_DATA = "1.2.840.113549.1.9.16.1.23", "authEnvelopedData";
    /// id-sha1
    SHA1 = "1.3.14.3.2.26", "SHA-1";
    /// id-sha256
    SHA256 = "2.16.840.1.101.3.4.2.1", "SHA-256";
    /// id-sha384
    SHA384 = "2.16.840.1.101.3.4.2.2", "SHA-384";
    /// id-sha512
    SHA512 = "2.16.840.1.101.3.4.2.3", "SHA-512";
    /// rsaEncryption
    RSA_ENCRYPTION = "1.2.840.113549.1.1.1", "RSA";
    /// id-RSAES-OAEP
    RSAES_OAEP = "1.2.840.113549.1.1.7", "RSAES-OAEP";
    /// id-mgf1
    MGF1 = "1.2.840.113549.1.1.8", "MGF1";
    /// id-RSASSA-PSS
    RSASSA_PSS = "1.2.840.113549.1.1.10", "RSASSA-PSS";
    /// sha1WithRSAEncryption
    SHA1_WITH_RSA = "1.2.840.113549.1.1.5", "sha1WithRSAEncryption";
    /// sha256WithRSAEncryption
    SHA256_WITH_RSA = "1.2.840.113549.1.1.11", "sha256WithRSAEncryption";
    /// sha384WithRSAEncryption
    SHA384_WITH_RSA = "1.2.840.113549.1.1.12", "sha384WithRSAEncryption";
    /// sha512WithRSAEncryption
    SHA512_WITH_RSA = "1.2.840.113549.1.1.13", "sha512WithRSAEncryption";
    /// sha224WithRSAEncryption
    SHA224_WITH_RSA = "1.2.840.113549.1.1.14", "sha224WithRSAEncryption";
    /// id-sha224
    SHA224 = "2.16.840.1.101.3.4.2.4", "SHA-224";
    /// id-ecPublicKey
    EC_PUBLIC_KEY = "1.2.840.10045.2.1", "EC";
    /// secp256r1 (P-256)
    SECP256R1 = "1.2.840.10045.3.1.7", "P-256";
    /// secp384r1 (P-384)
    SECP384R1 = "1.3.132.0.34", "P-384";
    /// ecdsa-with-SHA1
    ECDSA_WITH_SHA1 = "1.2.840.10045.4.1", "ecdsa-with-SHA1";
    /// ecdsa-with-SHA256
    ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2", "ecdsa-with-SHA256";
    /// ecdsa-with-SHA384
    ECDSA_WITH_SHA384 = "1.2.840.10045.4.3.3", "ecdsa-with-SHA384";
    /// ecdsa-with-SHA512
    ECDSA_WITH_SHA512 = "1.2.840.10045.4.3.4", "ecdsa-with-SHA512";
    /// secp521r1 (P-521), named in messages only: Siegel has no P-521 arithmetic.
    SECP521R1 = "1.3.132.0.35", "P-521";
    /// dhSinglePass-stdDH-sha1kdf-scheme (RFC 5753 section 7.1.4)
    ECDH_STD_SHA1KDF = "1.3.133.16.840.63.0.2", "dhSinglePass-stdDH-sha1kdf-scheme";
    /// dhSinglePass-stdDH-sha224kdf-scheme
    ECDH_STD_SHA224KDF = "1.3.132.1.11.0", "dhSinglePass-stdDH-sha224kdf-scheme";
    /// dhSinglePass-stdDH-sha256kdf-scheme
    ECDH_STD_SHA256KDF = "1.3.132.1.11.1", "dhSinglePass-stdDH-sha256kdf-scheme";
    /// dhSinglePass-stdDH-sha384kdf-scheme
    ECDH_STD_SHA384KDF = "1.3.132.1.11.2", "dhSinglePass-stdDH-sha384kdf-scheme";
    /// dhSinglePass-stdDH-sha512kdf-scheme
    ECDH_STD_SHA512KDF = "1.3.132.1.11.3", "dhSinglePass-stdDH-sha512kdf-scheme";
    /// dhSinglePass-cofactorDH-sha1kdf-scheme (the same as stdDH on curves of cofactor 1)
    ECDH_COFACTOR_SHA1KDF = "1.3.133.16.840.63.0.3", "dhSinglePass-cofactorDH-sha1kdf-scheme";
    /// dhSinglePass-cofactorDH-sha224kdf-scheme
    ECDH_COFACTOR_SHA224KDF = "1.3.132.1.14.0", "dhSinglePass-cofactorDH-sha224kdf-scheme";
    /// dhSinglePass-cofactorDH-sha256kdf-scheme
    ECDH_COFACTOR_SHA256KDF = "1.3.132.1.14.1", "dhSinglePass-cofactorDH-sha256kdf-scheme";
    /// dhSinglePass-cofactorDH-sha384kdf-scheme
    ECDH_COFACTOR_SHA384KDF = "1.3.132.1.14.2", "dhSinglePass-cofactorDH-sha384kdf-scheme";
    /// dhSinglePass-cofactorDH-sha512kdf-scheme
    ECDH_COFACTOR_SHA512KDF = "1.3.132.1.14.3", "dhSinglePass-cofactorDH-sha512kdf-scheme";
    /// id-aes128-wrap (RFC 3394)
    AES128_WRAP = "2.16.840.1.101.3.4.1.5", "AES-128 key wrap";
    /// id-aes192-wrap
    AES192_WRAP = "2.16.840.1.101.3.4.1.25", "AES-192 key wrap";
    /// id-aes256-wrap
    AES256_WRAP = "2.16.840.1.101.3.4.1.45", "AES-256 key wrap";
    /// id-dsa
    DSA = "1.2.840.10040.4.1", "DSA";
    /// id-dsa-with-sha1
    DSA_WITH_SHA1 = "1.2.840.10040.4.3", "dsa-with-SHA1";
    /// id-dsa-with-sha256
    DSA_WITH_SHA256 = "2.16.840.1.101.3.4.3.2", "dsa-with-SHA256";
    /// id-aes128-CBC
    AES128_CBC = "2.16.840.1.101.3.4.1.2", "AES-128-CBC";
    /// id-aes192-CBC
    AES192_CBC = "2.16.840.1.101.3.4.1.22", "AES-192-CBC";
    /// id-aes256-CBC
    AES256_CBC = "2.16.840.1.101.3.4.1.42", "AES-256-CBC";
    /// id-aes128-GCM
    AES128_GCM = "2.16.840.1.101.3.4.1.6", "AES-128-GCM";
    /// id-aes192-GCM
    AES192_GCM = "2.16.840.1.101.3.4.1.26", "AES-192-GCM";
    /// id-aes256-GCM
    AES256_GCM = "2.16.840.1.101.3.4.1.46", "AES-256-GCM";
    /// des-ede3-cbc
    DES_EDE3_CBC = "1.2.840.113549.3.7", "3DES-CBC";
    /// id-contentType
    ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3", "contentType";
    /// id-messageDigest
    ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4", "messageDigest";
    /// id-signingTime
    ATTR_SIGNING_TIME = "1.2.840.113549.1.9.5", "signingTime";
    /// smimeCapabilities
    ATTR_SMIME_CAPABILITIES = "1.2.840.113549.1.9.15", "SMIMECapabilities";
    /// id-aa-encrypKeyPref
    ATTR_ENCRYPTION_KEY_PREFERENCE = "1.2.840.113549.1.9.16.2.11", "SMIMEEncryptionKeyPreference";
    /// Microsoft's encryption key preference (Outlook writes it beside the standard one).
    ATTR_MS_ENCRYPTION_KEY_PREFERENCE = "1.3.6.1.4.1.311.16.4", "msOE encryption key preference";
    /// emailAddress in a distinguished name (legacy).
    EMAIL_ADDRESS = "1.2.840.113549.1.9.1", "emailAddress";
    /// id-kp-emailProtection
    KP_EMAIL_PROTECTION = "1.3.6.1.5.5.7.3.4", "emailProtection";
    /// anyExtendedKeyUsage
    ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0", "anyExtendedKeyUsage";
    /// id-ce-subjectKeyIdentifier
    EXT_SUBJECT_KEY_ID = "2.5.29.14", "subjectKeyIdentifier";
    /// id-ce-keyUsage
    EXT_KEY_USAGE = "2.5.29.15", "keyUsage";
    /// id-ce-subjectAltName
    EXT_SUBJECT_ALT_NAME = "2.5.29.17", "subjectAltName";
    /// id-ce-basicConstraints
    EXT_BASIC_CONSTRAINTS = "2.5.29.19", "basicConstraints";
    /// id-ce-extKeyUsage
    EXT_EXTENDED_KEY_USAGE = "2.5.29.37", "extKeyUsage";
    /// id-ce-authorityKeyIdentifier
    EXT_AUTHORITY_KEY_ID = "2.5.29.35", "authorityKeyIdentifier";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_names_are_const_oids_names() {
        for (oid, label) in OTHER_NAMES {
            assert_eq!(const_oid::db::DB.by_oid(oid), Some(*label), "{oid}");
            assert_eq!(name(oid), format!("{label} ({oid})"));
        }
        assert_eq!(name(&SHA256), "SHA-256");
        assert_eq!(name(&"1.2.3.4".parse().unwrap()), "1.2.3.4");
    }
}
