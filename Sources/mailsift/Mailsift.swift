import ArgumentParser
import Foundation
import MailsiftCommandLine
import MailsiftCore
import MailsiftDNS
import MailsiftFiles

@main
struct Mailsift: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailsift",
        abstract: "Real-time email classification: spam, phishing and categories.",
        subcommands: [Classify.self, Parse.self, Train.self, Eval.self, Split.self, Serve.self, Worker.self, Feedback.self, Retrain.self, Replay.self, Attack.self, Embed.self, Bench.self, Campaigns.self, Language.self, Report.self, Forget.self, Attachments.self]
    )

    /// Every command reads registrable domains from the Public Suffix List (libpsl), as the default model was
    /// trained; where libpsl has no list, they are approximated and it says so.
    static func main() async {
        do {
            DomainName.use(try LibPSL())
        } catch {
            log("\(error): registrable domains are approximated (a model trained with the list reads other domains)")
        }
        await main(nil)
    }

    /// Runs `body`; a message file or a model that cannot be read is reported on standard error with exit
    /// status 2 (a message that cannot be parsed is not an error: it gets its own output line).
    static func exitingOnReadErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ParseCommand.ReadError {
            FileHandle.standardError.write(Data("mailsift: \(error)\n".utf8))
            throw ExitCode(2)
        } catch let error as ModelFile.LoadError {
            FileHandle.standardError.write(Data("mailsift: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// Writes a progress or log line to standard error.
    @Sendable static func log(_ line: String) {
        FileHandle.standardError.write(Data("mailsift: \(line)\n".utf8))
    }
}
