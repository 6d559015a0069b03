import Foundation

/// A line or bar chart drawn as inline SVG, for the evaluation report and the dashboard: axes with ticks and labels, a linear or
/// logarithmic x axis, series as polylines (or bars), and a legend. Pure: it returns markup.
public struct SVGChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// Drawn as bars of this width (in x units) instead of a line.
        public var barWidth: Double?
        /// Dashed (a reference line).
        public var dashed = false

        public init(name: String, points: [(x: Double, y: Double)], barWidth: Double? = nil, dashed: Bool = false) {
            self.name = name
            self.points = points
            self.barWidth = barWidth
            self.dashed = dashed
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xRange: ClosedRange<Double>
    public var yRange: ClosedRange<Double>
    /// The x axis in decades (log10); its range is then of positive values.
    public var logX = false
    public var series: [Series] = []
    /// Vertical marks: an x value and its label (an action's target false-positive rate).
    public var marks: [(x: Double, label: String)] = []
    /// Named ticks on the x axis (categories) in place of the numbered ones.
    public var categories: [(x: Double, label: String)]?
    public var width = 520.0
    public var height = 360.0

    /// The colours of series in order (colour-blind safe: Okabe and Ito), then grey for references.
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

    public init(title: String, xLabel: String, yLabel: String, xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, logX: Bool = false) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xRange = xRange
        self.yRange = yRange
        self.logX = logX
    }

    // The plot area inside the margins.
    private var left: Double { 64 }
    private var right: Double { width - 16 }
    private var top: Double { 40 }
    private var bottom: Double { height - 48 }

    func px(_ x: Double) -> Double {
        let (lo, hi, v) = logX ? (log10(xRange.lowerBound), log10(xRange.upperBound), log10(max(x, xRange.lowerBound))) : (xRange.lowerBound, xRange.upperBound, x)
        return left + (min(max(v, lo), hi) - lo) / (hi - lo) * (right - left)
    }

    func py(_ y: Double) -> Double {
        let v = min(max(y, yRange.lowerBound), yRange.upperBound)
        return bottom - (v - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * (bottom - top)
    }

    /// The colour of series `i`: grey for a reference, else the palette's by its place among the others.
    func colour(_ i: Int) -> String {
        guard !series[i].dashed else { return "#999" }
        return Self.palette[series[..<i].filter { !$0.dashed }.count % Self.palette.count]
    }

    static func format(_ v: Double) -> String { String(format: "%.1f", v) }

    /// The value of a tick, as written under the axis.
    static func tickLabel(_ v: Double) -> String {
        if v == 0 { return "0" }
        if abs(v) < 0.01 { return String(format: "%g", v) }
        return String(format: "%g", (v * 1_000).rounded() / 1_000)
    }

    public var svg: String {
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(HTML.escape(title))\">"
        s += "<title>\(HTML.escape(title))</title>"
        s += "<text x=\"\(Self.format(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(HTML.escape(title))</text>"
        // Grid and ticks.
        let xTicks: [Double] = logX
            ? stride(from: floor(log10(xRange.lowerBound)), through: ceil(log10(xRange.upperBound)), by: 1).map { pow(10, $0) }
            : (0...5).map { xRange.lowerBound + Double($0) * (xRange.upperBound - xRange.lowerBound) / 5 }
        let yTicks = (0...5).map { yRange.lowerBound + Double($0) * (yRange.upperBound - yRange.lowerBound) / 5 }
        for (t, label) in categories ?? xTicks.map { ($0, Self.tickLabel($0)) } {
            let x = Self.format(px(t))
            s += "<line x1=\"\(x)\" y1=\"\(Self.format(top))\" x2=\"\(x)\" y2=\"\(Self.format(bottom))\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(x)\" y=\"\(Self.format(bottom + 16))\" text-anchor=\"middle\" font-size=\"11\">\(HTML.escape(label))</text>"
        }
        for t in yTicks {
            let y = Self.format(py(t))
            s += "<line x1=\"\(Self.format(left))\" y1=\"\(y)\" x2=\"\(Self.format(right))\" y2=\"\(y)\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(Self.format(left - 6))\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\" font-size=\"11\">\(Self.tickLabel(t))</text>"
        }
        s += "<rect x=\"\(Self.format(left))\" y=\"\(Self.format(top))\" width=\"\(Self.format(right - left))\" height=\"\(Self.format(bottom - top))\" fill=\"none\" stroke=\"#444\"/>"
        s += "<text x=\"\(Self.format((left + right) / 2))\" y=\"\(Self.format(height - 12))\" text-anchor=\"middle\" font-size=\"12\">\(HTML.escape(xLabel))</text>"
        s += "<text transform=\"translate(16 \(Self.format((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">\(HTML.escape(yLabel))</text>"
        for m in marks {
            let x = Self.format(px(m.x))
            s += "<line x1=\"\(x)\" y1=\"\(Self.format(top))\" x2=\"\(x)\" y2=\"\(Self.format(bottom))\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>"
            s += "<text x=\"\(x)\" y=\"\(Self.format(top - 4))\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">\(HTML.escape(m.label))</text>"
        }
        // Series: each coloured by its place among the series that are not references, so that a set keeps its colour
        // from chart to chart.
        let bars = series.filter { $0.barWidth != nil }.count
        var barIndex = 0
        for (i, one) in series.enumerated() {
            let colour = colour(i)
            if let w = one.barWidth {
                // Bars of several series side by side within each bin.
                let slot = w / Double(max(1, bars))
                for p in one.points where p.y > yRange.lowerBound {
                    let x0 = px(p.x + Double(barIndex) * slot), x1 = px(p.x + Double(barIndex + 1) * slot)
                    s += "<rect x=\"\(Self.format(x0))\" y=\"\(Self.format(py(p.y)))\" width=\"\(Self.format(max(0.5, x1 - x0 - 0.5)))\" height=\"\(Self.format(bottom - py(p.y)))\" fill=\"\(colour)\" fill-opacity=\"0.8\"/>"
                }
                barIndex += 1
            } else if one.points.count == 1, let p = one.points.first {
                // A line of one point: a dot.
                s += "<circle cx=\"\(Self.format(px(p.x)))\" cy=\"\(Self.format(py(p.y)))\" r=\"3\" fill=\"\(colour)\"/>"
            } else if !one.points.isEmpty {
                let path = one.points.map { "\(Self.format(px($0.x))),\(Self.format(py($0.y)))" }.joined(separator: " ")
                s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"\(one.dashed ? " stroke-dasharray=\"5 4\"" : "")/>"
            }
        }
        // Legend, top left inside the plot.
        for (i, one) in series.enumerated() {
            let y = top + 14 + Double(i) * 16
            let colour = colour(i)
            s += "<rect x=\"\(Self.format(left + 8))\" y=\"\(Self.format(y - 8))\" width=\"12\" height=\"10\" fill=\"\(colour)\"/>"
            s += "<text x=\"\(Self.format(left + 24))\" y=\"\(Self.format(y))\" font-size=\"11\">\(HTML.escape(one.name))</text>"
        }
        return s + "</svg>"
    }
}
