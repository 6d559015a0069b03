import Foundation
import MailsiftCore

/// Parses and featurises many messages on every core. A message that cannot be parsed becomes an example
/// with no features (scored by the bias alone) and is counted.
public enum Featurizer {
    public struct Item: Sendable {
        public var features: SparseFeatures
        /// The ``MetadataFeature`` columns (tree stage), when asked for; all missing for a message that
        /// could not be parsed.
        public var metadata: [Float] = []
        /// The Message-ID, or the corpus id when there is none.
        public var key: String
        public var parsed: Bool
        /// When it arrived (the topmost dated `Received` field, else `Date:`), as ``SplitPlanner`` dates it;
        /// only when asked for.
        public var time: Int64? = nil
        /// What the transformer stage reads, as token ids (``TransformerInput``); only when asked for.
        public var tokens: [Int32] = []
    }

    public static func featurize(
        _ messages: [CorpusMessage], configuration: FeatureConfiguration, idf: [Float]? = nil, metadata: Bool = false,
        times: Bool = false, tokens: (tokenizer: WordPieceTokenizer, count: Int)? = nil, progress: (any ProgressReporter)? = nil,
        readAsClassifiedFrom: Int = .max
    ) -> [Item] {
        let extractor = FeatureExtractor(configuration: configuration, idf: idf)
        let columns = MetadataFeatureExtractor()
        let indexed = Array(messages.enumerated())
        return ParallelMap.map(indexed, progress: progress, makeScratch: extractor.makeScratch) { pair, scratch in
            let (index, m) = pair
            var features = SparseFeatures()
            var key = m.corpus + "/" + m.id
            var parsed = false
            var time: Int64? = nil
            var ids: [Int32] = []
            var row: [Float] = metadata ? [Float](repeating: .nan, count: MetadataFeature.allCases.count) : []
            // Training mail's list fields are read as written: a corpus holds the mail as it was received, and the
            // model learns what list mail is from it. Classification reads them only when corroborated (ListClaim),
            // and so are the messages from `readAsClassifiedFrom` on (attacked copies, whose lists are made up).
            if let a = try? extractor.analyze(m.bytes, lists: index >= readAsClassifiedFrom ? .corroborated : .asWritten) {
                extractor.features(of: a, scratch: &scratch, into: &features)
                if metadata { columns.values(of: a, into: &row) }
                if let id = a.message.messageID, !id.isEmpty { key = id }
                parsed = true
                if times { time = SplitPlanner.arrivalTime(of: a.message) }
                if let tokens { ids = tokens.tokenizer.encode(TransformerInput.text(of: a), maxTokens: tokens.count) }
            }
            if ids.isEmpty, let tokens { ids = tokens.tokenizer.encode("", maxTokens: tokens.count) }
            return Item(features: features, metadata: row, key: key, parsed: parsed, time: time, tokens: ids)
        }
    }
}
