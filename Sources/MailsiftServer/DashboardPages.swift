import Foundation
import MailsiftCore

/// The dashboard's pages (`/ui`, docs/operations.md), rendered on the server as HTML with inline SVG charts
/// (``SVGChart``): no build step, no CDN, one small script for the refresh. Pure: each page is made from a
/// ``Snapshot`` the routes take from the server (``DashboardAPI``). Nothing of a message's content is shown: the
/// sender's domain is masked and reasons that name a word of the message say only what kind of evidence it was.
enum DashboardPages {
    /// What the pages show, read from the server at one moment.
    struct Snapshot {
        var now: Int64
        var csrf: String
        var minutes: [VerdictLedger.Minute] = []
        var hours: [VerdictLedger.Minute] = []
        var days: [VerdictLedger.Day] = []
        var recent: [VerdictLedger.Entry] = []
        var total = 0
        var inFlight = 0
        var breaker = "closed"
        var model: ModelInfo?
        var shadow: ShadowScoring.Summary?
        var ab: ABTest.Summary?
        var drift: DriftMonitor.Report?
    }

    struct ModelInfo {
        var version: String
        var loadedAt: Date
        var path: String?
        var points: OperatingPoints?
        var mode: String?
        var trainingMessages: Int
        var createdAt: String
        var outOfFold: [String: Double]
        var histogram: ScoreHistogram?
    }

    enum Page: String, CaseIterable {
        case overview = "", scores, verdicts, models, feedback

        var title: String {
            switch self {
            case .overview: "Overview"
            case .scores: "Scores and drift"
            case .verdicts: "Recent verdicts"
            case .models: "Models"
            case .feedback: "Feedback"
            }
        }

        var path: String { rawValue.isEmpty ? "/ui" : "/ui/" + rawValue }
    }

    // MARK: - Layout

    static func layout(_ page: Page, csrf: String, refresh: Bool, _ body: String) -> String {
        var s = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
        s += "<title>Mailsift: \(page.title)</title><link rel=\"stylesheet\" href=\"/ui/static/dashboard.css\">"
        s += "<script src=\"/ui/static/dashboard.js\" defer></script></head>"
        s += "<body\(refresh ? " data-refresh=\"15\"" : "")><header><strong>Mailsift</strong><nav>"
        for p in Page.allCases {
            s += "<a href=\"\(p.path)\"\(p == page ? " class=\"here\" aria-current=\"page\"" : "")>\(p.title)</a>"
        }
        s += "</nav><form method=\"post\" action=\"/ui/logout\"><input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(csrf))\"><button type=\"submit\">Log out</button></form></header>"
        s += "<main><h1>\(page.title)</h1>\(body)</main>"
        s += "<footer>\(refresh ? "<span id=\"refresh\">Refreshes every 15 s.</span> " : "")Times are UTC. No message content is shown.</footer></body></html>"
        return s
    }

    static func login(csrf: String, error: String?) -> String {
        var s = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Mailsift: log in</title>"
        s += "<link rel=\"stylesheet\" href=\"/ui/static/dashboard.css\"></head><body><main class=\"login\"><h1>Mailsift</h1>"
        if let error { s += "<p class=\"error\" role=\"alert\">\(HTML.escape(error))</p>" }
        s += "<form method=\"post\" action=\"/ui/login\"><input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(csrf))\">"
        s += "<label>Admin token <input type=\"password\" name=\"token\" autocomplete=\"current-password\" required autofocus></label>"
        s += "<button type=\"submit\">Log in</button></form></main></body></html>"
        return s
    }

    static func message(_ title: String, _ text: String) -> String {
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Mailsift: \(HTML.escape(title))</title>"
            + "<link rel=\"stylesheet\" href=\"/ui/static/dashboard.css\"></head><body><main class=\"login\"><h1>\(HTML.escape(title))</h1>"
            + "<p>\(HTML.escape(text))</p></main></body></html>"
    }

    // MARK: - Overview

    static func overview(_ s: Snapshot) -> String {
        let lastFive = Array(s.minutes.suffix(5))
        var b = "<section class=\"cards\">"
        b += card("Verdicts, last minute", "\(s.minutes.last?.total ?? 0)")
        b += card("Verdicts, last hour", "\(s.minutes.map(\.total).reduce(0, +))")
        b += card("Verdicts since start", "\(s.total)")
        for (q, name) in [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")] {
            b += card("Latency \(name), 5 min", latency(VerdictLedger.latencyQuantile(q, of: lastFive)))
        }
        b += card("In flight", "\(s.inFlight)")
        b += card("Circuit breaker", s.breaker)
        b += card("Model", s.model?.version ?? "none loaded")
        b += "</section>"

        let start = s.minutes.first?.start ?? s.now
        func minuteX(_ m: VerdictLedger.Minute) -> Double { Double(m.start - start) / 60 - Double(max(s.minutes.count - 1, 0)) }
        var throughput = SVGChart(title: "Verdicts per minute, last hour", xLabel: "minutes ago", yLabel: "verdicts", xRange: -60...0, yRange: 0...niceMax(Double(s.minutes.map(\.total).max() ?? 0)))
        throughput.series = [
            .init(name: "all", points: s.minutes.map { (minuteX($0), Double($0.total)) }),
            .init(name: "degraded (fallback)", points: s.minutes.map { (minuteX($0), Double($0.degraded)) }),
        ]
        let quantiles: [(Double, String)] = [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")]
        let lat = quantiles.map { q, name in
            (name, s.minutes.compactMap { m -> (x: Double, y: Double)? in
                guard let us = VerdictLedger.latencyQuantile(q, of: [m]) else { return nil }
                return (minuteX(m), Double(min(us, 2_000_000)) / 1_000)
            })
        }
        var latencyChart = SVGChart(title: "Latency per minute (bucket upper bounds)", xLabel: "minutes ago", yLabel: "milliseconds", xRange: throughput.xRange, yRange: 0...niceMax(lat.flatMap { $0.1.map(\.y) }.max() ?? 0))
        latencyChart.series = lat.map { .init(name: $0.0, points: $0.1) }
        b += "<section class=\"charts\">" + figure(throughput) + figure(latencyChart) + "</section>"

        let hourStart = s.hours.first?.start ?? s.now
        func hourX(_ m: VerdictLedger.Minute) -> Double { Double(m.start - hourStart) / 3_600 - Double(max(s.hours.count - 1, 0)) }
        let peak = Double(s.hours.map(\.total).max() ?? 0)
        var byAction = SVGChart(title: "Verdicts per hour by action, last day", xLabel: "hours ago", yLabel: "verdicts", xRange: -25...0, yRange: 0...niceMax(peak))
        byAction.series = Action.allCases.map { a in .init(name: a.rawValue, points: s.hours.map { (hourX($0), Double($0.count(a, nil))) }) }
        var byStage = SVGChart(title: "Verdicts per hour by deciding stage, last day", xLabel: "hours ago", yLabel: "verdicts", xRange: byAction.xRange, yRange: byAction.yRange)
        byStage.series = Cascade.Stage.allCases.map { st in .init(name: st.rawValue, points: s.hours.map { (hourX($0), Double($0.count(nil, st))) }) }
        b += "<section class=\"charts\">" + figure(byAction) + figure(byStage) + "</section>"

        // The blocking reason view: the last day's verdicts by action and by the stage that decided.
        b += "<h2>Last 24 hours: who decided</h2><table id=\"by-stage\"><thead><tr><th>action</th>"
        for st in Cascade.Stage.allCases { b += "<th>\(st.rawValue)</th>" }
        b += "<th>all</th></tr></thead><tbody>"
        for a in Action.allCases {
            b += "<tr><th>\(a.rawValue)</th>"
            for st in Cascade.Stage.allCases { b += "<td>\(s.hours.map { $0.count(a, st) }.reduce(0, +))</td>" }
            b += "<td>\(s.hours.map { $0.count(a, nil) }.reduce(0, +))</td></tr>"
        }
        b += "</tbody></table>"
        return layout(.overview, csrf: s.csrf, refresh: true, b)
    }

    // MARK: - Scores and drift

    static func scores(_ s: Snapshot) -> String {
        var b = ""
        let today = s.days.last
        let yesterday = s.days.dropLast().last
        let bins = ScoreHistogram.defaultBins
        let width = 1 / Double(bins)
        func points(_ counts: [Int]) -> [(x: Double, y: Double)] {
            ScoreHistogram.shares(counts).enumerated().map { (Double($0.offset) * width, $0.element) }
        }
        var series: [SVGChart.Series] = []
        series.append(.init(name: "today (\(today?.verdicts ?? 0) verdicts)", points: points(today?.scores ?? []), barWidth: width))
        if let y = yesterday, y.verdicts > 0 { series.append(.init(name: "yesterday (\(y.verdicts))", points: points(y.scores), barWidth: width)) }
        if let h = s.model?.histogram {
            func centred(_ counts: [Int]) -> [(x: Double, y: Double)] {
                ScoreHistogram.shares(counts).enumerated().map { (Double($0.offset) * width + width / 2, $0.element) }
            }
            series.append(.init(name: "training, ham (out of fold)", points: centred(h.ham)))
            series.append(.init(name: "training, spam (out of fold)", points: centred(h.spam)))
            series.append(.init(name: "training, both (its class mix)", points: centred(h.all), dashed: true))
        }
        let top = series.flatMap { $0.points.map(\.y) }.max() ?? 0
        var chart = SVGChart(title: "Score distribution: served today against the model's training", xLabel: "spam probability", yLabel: "share of messages", xRange: 0...1, yRange: 0...min(1, niceMax(max(top, 0.01))))
        chart.series = series
        chart.width = 900
        if let p = s.model?.points { chart.marks = [(p.tag, "tag"), (p.quarantine, "quarantine"), (p.reject, "reject")] }
        b += figure(chart)
        if s.model?.histogram == nil {
            b += "<p class=\"note\">The model being served records no training distribution (models trained before it was kept in the manifest); retrain it to see one.</p>"
        }

        b += "<h2>Drift (the current hour against the baseline hours)</h2>"
        guard let r = s.drift else { return layout(.scores, csrf: s.csrf, refresh: true, b + "<p>Drift is off (<code>drift: false</code>).</p>") }
        b += r.alarms.isEmpty ? "<p class=\"ok\" id=\"drift-alarms\">No drift alarm.</p>" : "<ul class=\"alarms\" id=\"drift-alarms\">" + r.alarms.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>"
        b += "<table><tbody>"
        b += row("messages this hour", "\(r.current)")
        b += row("baseline, per hour", String(format: "%.1f", r.baselinePerHour))
        b += row("volume ratio", optional(r.volumeRatio, "%.2f"))
        b += row("score PSI", optional(r.scorePSI, "%.3f"))
        b += row("mean score (baseline)", optional(r.meanScore, "%.4f") + " (" + optional(r.baselineMeanScore, "%.4f") + ")")
        b += row("mean shift", optional(r.meanShift.map { $0 * 100 }, "%+.1f%%") + ", " + optional(r.meanShiftErrors, "%.1f") + " standard errors")
        for (field, share) in r.missing.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let baseline = r.baselinePerHour > 0 ? String(format: "%.1f%%", 100 * share.baseline) : "—"
            b += row("without \(field.rawValue) (baseline)", String(format: "%.1f%%", 100 * share.current) + " (\(baseline))")
        }
        b += "</tbody></table>"
        if !r.columnPSI.isEmpty {
            b += "<h2>Tree columns that moved most</h2><table><thead><tr><th>column</th><th>PSI</th></tr></thead><tbody>"
            for c in r.columnPSI.prefix(8) { b += "<tr><td>\(HTML.escape(c.column.name))</td><td>\(String(format: "%.3f", c.psi))</td></tr>" }
            b += "</tbody></table>"
        }
        return layout(.scores, csrf: s.csrf, refresh: true, b)
    }

    // MARK: - Recent verdicts

    static func verdicts(_ s: Snapshot, search: String?, remembered: VerdictLedger.Remembered?) -> String {
        var b = "<form method=\"get\" action=\"/ui/verdicts\" class=\"search\"><label>Message-ID <input type=\"search\" name=\"id\" value=\"\(HTML.escape(search ?? ""))\" size=\"60\"></label> <button type=\"submit\">Find</button></form>"
        if let search {
            if s.recent.isEmpty, let r = remembered {
                b += "<p id=\"found\">\(HTML.escape(search)): <strong>\(r.action.rawValue)</strong> by \(r.stage.rawValue), probability \(String(format: "%.4f", r.probability)), at \(utc(r.time)) (older than the recent list: no reasons kept).</p>"
            } else if s.recent.isEmpty {
                b += "<p id=\"found\">No verdict for \(HTML.escape(search)) is remembered (the last \(VerdictLedger.Configuration().keys / 2)–\(VerdictLedger.Configuration().keys) messages since the server started are).</p>"
            }
        }
        b += "<table class=\"verdicts\"><thead><tr><th>time</th><th>Message-ID</th><th>sender domain</th><th>action</th><th>stage</th><th>probability</th><th>ms</th><th>model</th><th>top reasons</th></tr></thead><tbody>"
        for e in s.recent {
            b += "<tr class=\"\(e.action.rawValue)\"><td>\(utc(e.time))</td><td class=\"id\">\(HTML.escape(e.messageKey))</td>"
            b += "<td>\(HTML.escape(e.senderDomain.map(VerdictLedger.mask(domain:)) ?? "—"))</td><td>\(e.action.rawValue)\(e.degraded ? " (degraded)" : "")</td>"
            b += "<td>\(e.stage.rawValue)</td><td>\(String(format: "%.4f", e.probability))</td><td>\(String(format: "%.2f", Double(e.latencyMicroseconds) / 1_000))</td>"
            b += "<td>\(HTML.escape(e.modelVersion))</td><td>\(e.reasons.map { HTML.escape(VerdictLedger.shown($0)) }.joined(separator: "<br>"))</td></tr>"
        }
        b += "</tbody></table>"
        if s.recent.isEmpty && search == nil { b += "<p>No verdict yet.</p>" }
        return layout(.verdicts, csrf: s.csrf, refresh: search == nil, b)
    }

    // MARK: - Models

    static func models(_ s: Snapshot, outcome: String?) -> String {
        var b = ""
        if let outcome { b += "<p class=\"outcome\" role=\"status\" id=\"reload-outcome\">\(HTML.escape(outcome))</p>" }
        b += "<h2>Serving</h2>"
        if let m = s.model {
            b += "<table id=\"active-model\"><tbody>" + row("version", HTML.escape(m.version)) + row("loaded", utc(Int64(m.loadedAt.timeIntervalSince1970)))
            if let path = m.path { b += row("file", HTML.escape(path)) }
            b += row("trained", HTML.escape(m.createdAt) + ", \(m.trainingMessages) messages")
            if let mode = m.mode { b += row("combination", mode) }
            if let p = m.points {
                b += row("thresholds", String(format: "tag %.4f, quarantine %.4f, reject %.4f (target false-positive rate %.2f%%)", p.tag, p.quarantine, p.reject, 100 * p.targetFPR))
            }
            if let auc = m.outOfFold["auc"] {
                b += row("out of fold", String(format: "AUC %.5f, recall %.2f%% at 0.1%% FPR", auc, 100 * (m.outOfFold["recall_at_0.1pct_fpr"] ?? 0)))
            }
            b += "</tbody></table>"
        } else {
            b += "<p>No model is loaded.</p>"
        }
        b += "<form method=\"post\" action=\"/ui/reload\" class=\"reload\"><input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(s.csrf))\"><button type=\"submit\" id=\"reload\">Reload the model and rules</button> <span class=\"note\">Loads the configured files again; they are served only if they pass the checks.</span></form>"
        b += "<h2>Shadow model</h2>"
        if let sh = s.shadow {
            b += "<table id=\"shadow\"><tbody>" + row("shadow", HTML.escape(sh.shadowVersion ?? "not loaded")) + row("messages both scored", "\(sh.messages)")
            b += row("actions that differ", "\(sh.actionChanges) (\(percent(sh.actionChanges, sh.messages)))")
            b += row("spam to ham / ham to spam", "\(sh.spamToHam) / \(sh.hamToSpam)")
            b += row("mean probability difference", String(format: "%.4f", sh.meanProbabilityDifference)) + "</tbody></table>"
        } else {
            b += "<p>No shadow model (<code>shadow_model</code>).</p>"
        }
        b += "<h2>A/B test</h2>"
        if let ab = s.ab {
            b += "<table id=\"ab\"><thead><tr><th></th><th>control</th><th>candidate (\(HTML.escape(ab.candidateVersion ?? "not loaded")), \(String(format: "%.0f%%", 100 * ab.share)))</th></tr></thead><tbody>"
            b += "<tr><th>messages</th><td>\(ab.control.messages)</td><td>\(ab.candidate.messages)</td></tr>"
            b += "<tr><th>at quarantine or reject</th><td>\(percent(ab.control.spam, ab.control.messages))</td><td>\(percent(ab.candidate.spam, ab.candidate.messages))</td></tr>"
            b += "<tr><th>spam in inbox (reports)</th><td>\(ab.control.spamInInbox)</td><td>\(ab.candidate.spamInInbox)</td></tr>"
            b += "<tr><th>rescued from spam</th><td>\(ab.control.rescued)</td><td>\(ab.candidate.rescued)</td></tr></tbody></table>"
        } else {
            b += "<p>No A/B test (<code>ab_model</code>).</p>"
        }
        return layout(.models, csrf: s.csrf, refresh: false, b)
    }

    // MARK: - Feedback

    static func feedback(_ s: Snapshot) -> String {
        let days = s.days
        var b = "<p>What users reported about the verdicts, per day the reports came in: spam they found in their inbox (delivered below <code>quarantine</code>), mail they rescued from spam (at <code>quarantine</code> or above).</p>"
        let start = days.first?.start ?? s.now
        func x(_ d: VerdictLedger.Day) -> Double { Double(d.start - start) / 86_400 - Double(max(days.count - 1, 0)) }
        let top = Double(days.map { max($0.feedback.spamInInbox, $0.feedback.rescued, $0.feedback.spamReports + $0.feedback.hamReports) }.max() ?? 0)
        var chart = SVGChart(title: "Feedback per day", xLabel: "days ago", yLabel: "reports", xRange: -30...0, yRange: 0...niceMax(top))
        chart.series = [
            .init(name: "all reports", points: days.map { (x($0), Double($0.feedback.spamReports + $0.feedback.hamReports)) }),
            .init(name: "spam in inbox", points: days.map { (x($0), Double($0.feedback.spamInInbox)) }),
            .init(name: "rescued from spam", points: days.map { (x($0), Double($0.feedback.rescued)) }),
        ]
        chart.width = 900
        b += figure(chart)
        b += "<table id=\"feedback\"><thead><tr><th>day</th><th>verdicts</th><th>delivered</th><th>held (quarantine, reject)</th><th>spam reports</th><th>ham reports</th><th>spam in inbox</th><th>per 1,000 delivered</th><th>rescued</th><th>per 1,000 held</th><th>agreed</th><th>not matched</th></tr></thead><tbody>"
        for d in days.reversed() where d.verdicts > 0 || d.feedback != .init() {
            let delivered = d.actions[0] + d.actions[1], held = d.actions[2] + d.actions[3]
            let f = d.feedback
            b += "<tr><td>\(utc(d.start).prefix(10))</td><td>\(d.verdicts)</td><td>\(delivered)</td><td>\(held)</td><td>\(f.spamReports)</td><td>\(f.hamReports)</td>"
            b += "<td>\(f.spamInInbox)</td><td>\(perMille(f.spamInInbox, delivered))</td><td>\(f.rescued)</td><td>\(perMille(f.rescued, held))</td><td>\(f.agreed)</td><td>\(f.unmatched)</td></tr>"
        }
        b += "</tbody></table>"
        return layout(.feedback, csrf: s.csrf, refresh: true, b)
    }

    // MARK: - Static files

    static let css = """
        body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
        header{display:flex;gap:1.5em;align-items:center;padding:.6em 1.2em;background:#123;color:#fff}
        header nav{display:flex;gap:1em;flex:1}header a{color:#cde}header a.here{color:#fff;font-weight:bold;text-decoration:none}
        header form{margin:0}main{padding:1em 1.5em}main.login{max-width:28em;margin:4em auto;background:#fff;padding:2em;border:1px solid #ccc}
        main.login label{display:block;margin:1em 0}main.login input{width:100%;box-sizing:border-box;padding:.4em}
        h1{font-size:1.4em;margin-top:0}h2{font-size:1.1em;margin-top:1.6em}
        .cards{display:flex;flex-wrap:wrap;gap:.8em}.card{background:#fff;border:1px solid #ddd;padding:.6em .9em;min-width:9em}
        .card b{display:block;font-size:1.3em;margin-top:.2em;word-break:break-all}.card span{font-size:.8em;color:#555}
        .charts{display:flex;flex-wrap:wrap;gap:1em;margin-top:1em}figure{margin:0;background:#fff;border:1px solid #ddd}
        table{border-collapse:collapse;background:#fff;margin-top:.5em}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;font-size:.9em;vertical-align:top}
        table.verdicts td.id{max-width:22em;word-break:break-all}tr.reject td,tr.quarantine td{background:#fff3f0}tr.tag td{background:#fffbe8}
        .error{color:#a00}.ok{color:#060}.alarms li{color:#a00}.note{color:#555;font-size:.9em}.outcome{background:#eef;padding:.5em}form.reload{margin-top:.8em}
        footer{padding:1em 1.5em;color:#666;font-size:.8em}
        """

    static let script = """
        // Reloads a live page every data-refresh seconds while it is visible.
        (function () {
          var seconds = Number(document.body.getAttribute('data-refresh'));
          if (!seconds) { return; }
          setInterval(function () { if (!document.hidden) { location.reload(); } }, seconds * 1000);
        })();
        """

    // MARK: - Pieces

    static func card(_ label: String, _ value: String) -> String {
        "<div class=\"card\"><span>\(HTML.escape(label))</span><b>\(HTML.escape(value))</b></div>"
    }

    static func row(_ label: String, _ valueHTML: String) -> String { "<tr><th>\(HTML.escape(label))</th><td>\(valueHTML)</td></tr>" }

    static func figure(_ chart: SVGChart) -> String { "<figure>\(chart.svg)</figure>" }

    static func latency(_ us: Int?) -> String {
        guard let us else { return "—" }
        if us == Int.max { return "> 1 s" }
        return us >= 1_000 ? String(format: "≤ %.1f ms", Double(us) / 1_000) : "≤ \(us) µs"
    }

    static func optional(_ v: Double?, _ format: String) -> String { v.map { String(format: format, $0) } ?? "—" }

    static func percent(_ n: Int, _ of: Int) -> String { of == 0 ? "—" : String(format: "%.2f%%", 100 * Double(n) / Double(of)) }

    static func perMille(_ n: Int, _ of: Int) -> String { of == 0 ? "—" : String(format: "%.2f", 1_000 * Double(n) / Double(of)) }

    /// A round upper bound for an axis that shows `v`.
    static func niceMax(_ v: Double) -> Double {
        guard v > 0 else { return 1 }
        let magnitude = pow(10, floor(log10(v)))
        for step in [1.0, 2, 5, 10] where step * magnitude >= v * 1.05 { return step * magnitude }
        return 10 * magnitude
    }

    /// `2026-12-07 15:42:07`.
    static func utc(_ t: Int64) -> String {
        var time = time_t(t)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec)
    }
}
