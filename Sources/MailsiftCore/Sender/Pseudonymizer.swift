/// Turns an address or an IP into a pseudonym under the site's secret (a port: `HMACPseudonymizer` in `MailsiftCrypto`,
/// HMAC-SHA-256). The same value always gives the same pseudonym, so counts, reputations and the communication graph
/// still work on pseudonyms; without the secret a pseudonym cannot be traced back to the value (docs/privacy.md).
public protocol Pseudonymizer: Sendable {
    /// The pseudonym of `value` (lower-cased first).
    func pseudonym(_ value: String) -> String
}

extension SenderKeys {
    /// The keys with every address and IP under `p`: the client IP and network, envelope sender, From address,
    /// recipients, a sender's stream and the campaign's members. The From domain and a list's identity stay readable
    /// (they name organisations, not people); the reputation prior is kept.
    public func pseudonymised(by p: any Pseudonymizer) -> SenderKeys {
        var k = self
        k.clientIP = clientIP.map(p.pseudonym)
        k.clientNetwork = clientNetwork.map(p.pseudonym)
        k.envelopeSender = envelopeSender.map(p.pseudonym)
        k.fromAddress = fromAddress.map(p.pseudonym)
        k.recipients = recipients.map(p.pseudonym)
        if let s = stream, s.hasPrefix("sender:") { k.stream = "sender:" + p.pseudonym(String(s.dropFirst(7))) }
        k.campaignSender = campaignSender.map(p.pseudonym)
        k.campaignRecipients = campaignRecipients?.map(p.pseudonym)
        return k
    }
}
