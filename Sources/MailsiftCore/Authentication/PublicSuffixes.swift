/// The organisational domain of a host name (RFC 7489 section 3.2: the registrable domain under the Public Suffix
/// List), as a port: the core asks, `LibPSL` in `MailsiftDNS` answers from libpsl.
public protocol PublicSuffixes: Sendable {
    /// The registrable domain of `host` (`mail.bank.co.uk` to `bank.co.uk`); nil when `host` is itself a public
    /// suffix or not a domain name.
    func organizationalDomain(_ host: String) -> String?
}
