import MailsiftCore
import MailsiftTraining
import Testing

@Suite("Split files for unseen mail: time-forward and cross-source")
struct SplitPlannerTests {
    static func item(_ corpus: String, _ id: String, _ label: String, _ time: Int64?, _ keys: [String] = []) -> SplitPlanner.Item {
        SplitPlanner.Item(corpus: corpus, id: id, label: label, time: time, duplicateKeys: keys)
    }

    static func sides(_ rows: [SplitRow]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: rows.map { ("\($0.corpus)/\($0.id)", $0.split) })
    }

    @Test func theNewestShareOfEachCorpusAndLabelTests() {
        var items: [SplitPlanner.Item] = []
        for i in 0..<10 { items.append(Self.item("a", "h\(i)", "ham", Int64(i))) }
        for i in 0..<5 { items.append(Self.item("a", "s\(i)", "spam", Int64(100 + i))) }
        items.append(Self.item("a", "undated", "ham", nil))
        let sides = Self.sides(SplitPlanner.timeForward(items, testFraction: 0.2))
        // 11 hams: 2 newest test; 5 spams: 1 newest tests; undated mail counts as the oldest.
        #expect(items.filter { sides["a/\($0.id)"] == "test" }.map(\.id).sorted() == ["h8", "h9", "s4"])
        #expect(sides["a/undated"] == "train")
    }

    @Test func nearDuplicatesStayOnOneSide() {
        let items = [
            Self.item("a", "old", "spam", 1, ["body:x"]), Self.item("a", "mid", "spam", 2), Self.item("a", "new", "spam", 3, ["body:x"]),
            Self.item("a", "newest", "spam", 4),
        ]
        let sides = Self.sides(SplitPlanner.timeForward(items, testFraction: 0.5))
        // The copy of an old message is not tested: its group is as old as its oldest member.
        #expect(sides["a/old"] == "train" && sides["a/new"] == "train")
        #expect(sides["a/newest"] == "test" && sides["a/mid"] == "test")
    }

    @Test func crossSourceHoldsOutCorporaAndTheirCopies() {
        let items = [
            Self.item("a", "1", "ham", 1, ["id:<m@x>"]), Self.item("b", "2", "spam", 2), Self.item("b", "3", "ham", 3, ["id:<m@x>"]),
            Self.item("c", "4", "spam", 4),
        ]
        let sides = Self.sides(SplitPlanner.crossSource(items, testCorpora: ["b"]))
        #expect(sides == ["a/1": "test", "b/2": "test", "b/3": "test", "c/4": "train"])
    }

    @Test func timeBlockedFoldsCutEachStratumIntoContiguousBlocks() {
        // Stratum a: six messages out of order (one undated); stratum b: three.
        let times: [Int64?] = [50, 10, nil, 40, 20, 30, 7, 5, 6]
        let strata = ["a", "a", "a", "a", "a", "a", "b", "b", "b"]
        let folds = SplitPlanner.timeBlockedFolds(times: times, strata: strata, folds: 3)
        // a in time order: nil(2), 10(1), 20(4), 30(5), 40(3), 50(0) -> blocks of two.
        #expect(folds[2] == 0 && folds[1] == 0 && folds[4] == 1 && folds[5] == 1 && folds[3] == 2 && folds[0] == 2)
        // b in time order: 5(7), 6(8), 7(6) -> one each.
        #expect(folds[7] == 0 && folds[8] == 1 && folds[6] == 2)
    }
}
