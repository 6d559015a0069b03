import ArgumentParser
import MailsiftCommandLine
import MailsiftEncoder


extension Mailsift {
    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print what the transformer stage reads of each message, its token ids and its embedding, as JSON lines.",
            discussion: "The encoder folder holds config.json, vocab.txt and model.safetensors (all-MiniLM-L6-v2; docs/transformer.md)."
        )

        @Option(help: "The sentence encoder's folder (default: MAILSIFT_ENCODER, else \(EncoderLocation.defaultFolder)).")
        var encoder: String?

        @Option(help: "Weights in fp32 or int8.")
        var precision: BertEncoder.Precision = .fp32

        @Option(help: "Tokens read, [CLS] and [SEP] included.")
        var tokens: Int = 128

        @Flag(help: "Tokens only, no embedding.")
        var textOnly = false

        @Argument(help: "Message files (.eml).")
        var files: [String]

        func run() throws {
            try Mailsift.exitingOnReadErrors {
                try EmbedCommand.run(files: files, encoderFolder: EncoderLocation.folder(configured: encoder), precision: precision, maxTokens: tokens, textOnly: textOnly) { print($0) }
            }
        }
    }
}
