import ArgumentParser
import MailsiftServer

extension Mailsift {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve classifications: HTTP API, Rspamd /checkv2, spamd and milter protocols, metrics, hot reload (docs/serving.md).",
            discussion: """
            Settings come from --config FILE (YAML), then MAILSIFT_* environment variables, then these options. \
            The admin and feedback tokens are read from the file or MAILSIFT_ADMIN_TOKEN / MAILSIFT_FEEDBACK_TOKEN \
            only, never from the command line.
            """
        )

        @OptionGroup var settings: ServiceOptions
        @Option(help: "Address to listen on (default 127.0.0.1).")
        var host: String?
        @Option(help: "HTTP port (default 11380).")
        var port: Int?
        @Option(help: "spamd protocol port (default: none).")
        var spamdPort: Int?
        @Option(help: "Milter protocol port (default: none).")
        var milterPort: Int?
        @Option(help: "A candidate model to score in shadow beside the serving one (disagreements counted and logged; GET /admin/shadow).")
        var shadowModel: String?

        func run() async throws {
            let c = try settings.resolve { c in
                if let host { c.host = host }
                if let port { c.port = port }
                if let spamdPort { c.spamdPort = spamdPort }
                if let milterPort { c.milterPort = milterPort }
                if let shadowModel { c.shadowModel = shadowModel }
            }
            try await Server.open(configuration: c).run()
        }
    }
}
