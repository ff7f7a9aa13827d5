import Foundation

/// The page `rnn explain activations` writes: the text coloured by one unit
/// (cell, output or gate; unit and layer pickers), the units that best track
/// simple properties of the text, gate saturation per layer, and for a
/// classifier the tokens that moved each prediction most.
public struct ActivationsPage {
    /// The activations the page shows.
    public let recording: ActivationRecording
    /// A line describing the model (file, kind, sizes).
    public let modelDescription: String
    /// A line describing the text (file, token count).
    public let textDescription: String

    /// A page for `recording`, headed by the two description lines.
    public init(recording: ActivationRecording, modelDescription: String, textDescription: String) {
        self.recording = recording
        self.modelDescription = modelDescription
        self.textDescription = textDescription
    }

    /// One colourable quantity of one pass: its name, value range, and values per unit over the recorded steps.
    struct Quantity {
        var name: String
        var low: Double, high: Double
        /// `values[unit][step]`
        var values: [[Float]]
        /// Whether it enters the unit ranking.
        var ranked: Bool
    }

    static func passName(_ p: PassActivations, directions: Int) -> String {
        "layer \(p.layer + 1)" + (directions > 1 ? (p.direction == 0 ? " forward" : " reverse") : "")
    }

    /// The quantities of a pass: `c` (as tanh c) and `h`, then each gate.
    static func quantities(_ p: PassActivations) -> [Quantity] {
        let H = p.outputs.shape[2]
        var out: [Quantity] = []
        if p.cells != nil {
            out.append(Quantity(name: "c: memory cell (shown as tanh c)", low: -1, high: 1,
                                values: (0..<H).map { p.cell(unit: $0)!.map { Foundation.tanh($0) } }, ranked: true))
        }
        let h = (0..<H).map { p.output(unit: $0) }
        let relu = p.cell == .rnnRelu
        out.append(Quantity(name: "h: output", low: relu ? 0 : -1, high: relu ? Double(h.joined().max() ?? 1) : 1, values: h, ranked: true))
        for (g, name) in PassActivations.gateNames(p.cell).enumerated() {
            let tanhGate = name == "g" || name == "n"
            let label: String
            switch name {
            case "i": label = "i: input gate"
            case "f": label = "f: forget gate"
            case "g": label = "g: candidate (tanh)"
            case "o": label = "o: output gate"
            case "r": label = "r: reset gate"
            case "z": label = "z: update gate"
            default: label = "n: candidate (tanh)"
            }
            out.append(Quantity(name: label, low: tanhGate ? -1 : 0, high: 1, values: (0..<H).map { p.gate(g, unit: $0) }, ranked: false))
        }
        return out
    }

    /// Characters for quantised values: 64 levels, one character each.
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    static func encode(_ values: [Float], low: Double, high: Double) -> String {
        String(values.map { v -> Character in
            let p = (Double(v) - low) / (high - low)
            return alphabet[Int((min(1, max(0, p.isFinite ? p : 0.5)) * 63).rounded())]
        })
    }

    /// `s` as a JSON string literal that is safe inside a `<script>` element (no `<`, `>` or `&`).
    static func jsonString(_ s: String) -> String {
        SafeTensorsFile.jsonString(s).replacingOccurrences(of: "<", with: "\\u003c")
            .replacingOccurrences(of: ">", with: "\\u003e").replacingOccurrences(of: "&", with: "\\u0026")
    }

    /// How a token is shown: a newline as ↵ and a line break; a word with a space after it.
    static func display(_ token: String, wordLevel: Bool) -> String {
        if token == "\n" || token == Vocabulary.endOfSentence { return "↵\n" }
        if token == "\t" { return "→" }
        return wordLevel ? token + " " : token
    }

    /// A unit in the ranking: its pass ("layer 1"), quantity ("c" or "h"), index and correlation.
    public struct RankedUnit: Sendable {
        /// The pass, as the page names it ("layer 1", "layer 2 reverse").
        public var pass: String
        /// The quantity: `c` (shown as `tanh c`) or `h`.
        public var quantity: String
        /// The unit's index in its pass, `0..<H`.
        public var unit: Int
        /// Its Pearson correlation with the property, in `[-1, 1]`.
        public var correlation: Double
    }

    /// The unit ranking over every pass's `tanh c` (LSTM) and `h`: for each property, the best units (at most `top`).
    /// Properties whose best unit correlates less than this are left out of the ranking.
    public var minimumCorrelation = 0.1

    /// The text properties over the recorded steps; a classifier's lines are measured one by one.
    var properties: [(name: String, values: [Double])] {
        let r = recording
        guard !r.lines.isEmpty else { return TextProperties.of(r.steppedTokens) }
        let perLine = r.lines.map { line in TextProperties.of(line.tokens.filter { r.step[$0] != nil }.map { r.tokens[$0] }) }
        return perLine[0].indices.map { k in (perLine[0][k].name, perLine.flatMap { $0[k].values }) }
    }

    /// For each text property, the (at most `top`) units that track it best, properties with a weak best unit left out.
    public func ranking(top: Int = 3) -> [(property: String, units: [RankedUnit])] {
        let directions = (recording.passes.map(\.direction).max() ?? 0) + 1
        var series: [[Float]] = [], names: [(String, String, Int, Int, Int)] = []   // pass, quantity, unit, pass index, quantity index
        for (k, p) in recording.passes.enumerated() {
            for (q, quantity) in Self.quantities(p).enumerated() where quantity.ranked {
                for (j, values) in quantity.values.enumerated() {
                    series.append(values)
                    names.append((Self.passName(p, directions: directions), String(quantity.name.prefix(1)), j, k, q))
                }
            }
        }
        return UnitRanking.rank(units: series, properties: properties, top: top).filter { abs($0[0].correlation) >= minimumCorrelation }.map { matches in
            (matches[0].property, matches.map { RankedUnit(pass: names[$0.unit].0, quantity: names[$0.unit].1, unit: names[$0.unit].2,
                                                          correlation: $0.correlation) })
        }
    }

    /// The page: the text coloured by a chosen unit, the unit ranking, gate saturation and (classifier) each line's most influential tokens.
    public var page: HTMLPage {
        let r = recording
        let directions = (r.passes.map(\.direction).max() ?? 0) + 1
        let wordLevel = r.wordLevel ?? r.tokens.contains { $0.count > 1 && $0 != Vocabulary.endOfSentence }
        var page = HTMLPage(title: "Inside the network: activations")
        let unknown = r.known.filter { !$0 }.count, skipped = r.step.filter { $0 == nil }.count
        var meta = "\(escapeXML(modelDescription))<br>\(escapeXML(textDescription)): \(r.tokens.count) tokens, \(r.stepCount) model steps"
        if unknown > 0 {
            meta += "; <b>\(unknown) token(s) outside the model's vocabulary</b>, marked with a black box ("
                + (skipped > 0 ? "skipped: the model never saw them, so they have no value)" : "read as &lt;unk&gt;)")
        }
        page.body.append("<p class=\"meta\">\(meta)</p>")

        // 1. The text coloured by one unit.
        var passesJS: [String] = []
        for p in r.passes {
            let qs = Self.quantities(p).map { q in
                "{name:\(Self.jsonString(q.name)),lo:\(q.low),hi:\(q.high),units:[" + q.values.map { Self.jsonString(Self.encode($0, low: q.low, high: q.high)) }.joined(separator: ",") + "]}"
            }
            passesJS.append("{name:\(Self.jsonString(Self.passName(p, directions: directions))),quantities:[" + qs.joined(separator: ",") + "]}")
        }
        let lineEnds = Set(r.lines.map { $0.tokens.upperBound - 1 })
        let tokensJS = "[" + r.tokens.indices.map { i in
            Self.jsonString(Self.display(r.tokens[i], wordLevel: wordLevel) + (lineEnds.contains(i) ? "\n" : ""))
        }.joined(separator: ",") + "]"
        let stepJS = "[" + r.step.map { $0.map(String.init) ?? "-1" }.joined(separator: ",") + "]"
        let knownJS = "[" + r.known.map { $0 ? "1" : "0" }.joined(separator: ",") + "]"
        let signed = ColourScale(.diverging, low: -1, high: 1), gate = ColourScale(.sequential, low: 0, high: 1)
        page.section("The text, coloured by one unit",
                     "Pick a layer, a quantity (the LSTM's memory cell c, the output h, or a gate) and a unit; each token is coloured by that unit's value right after the network read it. Hover a token for the number.",
                     """
                     <div class="controls">
                     <label>layer <select id="pass"></select></label>
                     <label>quantity <select id="quantity"></select></label>
                     <label>unit <input id="unit" type="number" min="0" value="0" style="width:5em"></label>
                     <button id="prev">previous unit</button> <button id="next">next unit</button>
                     <span id="unit-info"></span>
                     </div>
                     <div id="scale-signed">\(signed.legendSVG(label: "unit value (−1 to 1)"))</div>
                     <div id="scale-gate" style="display:none">\(gate.legendSVG(label: "gate value (0 shut, 1 open)"))</div>
                     <div class="text" id="text"></div>
                     """)

        // 2. Classifier: which tokens moved each prediction.
        if !r.lines.isEmpty {
            let m = r.lines.flatMap { $0.influence.compactMap { $0 } }.map(abs).max() ?? 1
            let scale = ColourScale(.diverging, low: -max(m, 1e-6), high: max(m, 1e-6))
            var html = "<div>" + scale.legendSVG(label: "drop in the predicted label's probability without the token", width: 360) + "</div><table class=\"influence\">"
            for line in r.lines {
                var text = ""
                for (k, i) in line.tokens.enumerated() {
                    let token = Self.display(r.tokens[i], wordLevel: wordLevel)
                    if let v = line.influence[k] {
                        text += String(format: "<span class=\"t\" style=\"background:%@;color:%@\" title=\"%+.3f\">%@</span>", scale.colour(v),
                                       abs(scale.position(v) - 0.5) > 0.3 ? "#fff" : "#000", v, escapeXML(token))
                    } else {
                        text += "<span class=\"t oov\" title=\"not in the vocabulary\">\(escapeXML(token))</span>"
                    }
                    if wordLevel == false, r.tokens[i].count > 1 { text += " " }
                }
                let top = line.tokens.indices.filter { line.influence[$0 - line.tokens.lowerBound] != nil }
                    .sorted { line.influence[$0 - line.tokens.lowerBound]! > line.influence[$1 - line.tokens.lowerBound]! }.prefix(3)
                    .map { String(format: "%@ (%+.2f)", escapeXML(r.tokens[$0]), line.influence[$0 - line.tokens.lowerBound]!) }
                html += String(format: "<tr><td class=\"text\" style=\"border:none\">%@</td><td>%@</td><td class=\"num\">%.3f</td><td>%@</td></tr>",
                               text, escapeXML(line.label), line.probability, top.joined(separator: ", "))
            }
            html += "</table>"
            page.section("Which tokens moved each prediction",
                         "Each line's predicted label and its probability; each token is coloured by how much that probability falls when the token is left out (red: the token pushed towards the label; blue: against it). The last column lists the three tokens that mattered most.",
                         html)
        }

        // 3. The unit ranking.
        let ranking = self.ranking()
        if !ranking.isEmpty {
            var rows = ""
            for (property, matches) in ranking {
                for (i, m) in matches.enumerated() {
                    rows += "<tr>" + (i == 0 ? "<td rowspan=\"\(matches.count)\">\(escapeXML(property))</td>" : "")
                    rows += "<td>\(escapeXML(m.pass))</td><td>\(m.quantity)</td><td class=\"num\">\(m.unit)</td>"
                    rows += String(format: "<td class=\"num\">%+.3f</td>", m.correlation)
                    rows += "<td><button class=\"unit\" data-pass=\"\(escapeXML(m.pass))\" data-quantity=\"\(m.quantity)\" data-unit=\"\(m.unit)\">show</button></td></tr>"
                }
            }
            let best = ranking.map { $0.units[0] }
            let properties = self.properties
            let heatmap = Heatmap(title: "Each property's best unit against every property",
                                  values: properties.map { property in
                                      best.map { m in UnitRanking.correlation(self.values(pass: m.pass, quantity: m.quantity, unit: m.unit), property.values) }
                                  },
                                  rowLabels: properties.map(\.name),
                                  columnLabels: best.map { "\($0.pass) \($0.quantity)[\($0.unit)]" },
                                  valueLabel: "Pearson correlation r")
            page.section("Units that track properties of the text",
                         "For each simple property of the text, the units whose value (memory cell c, as tanh c, or output h) correlates best with it over the \(r.stepCount) steps (Pearson r; negative: the unit is low where the property holds). Best properties first; press show to colour the text by that unit.",
                         "<table class=\"ranking\"><tr><th>property</th><th>layer</th><th>quantity</th><th>unit</th><th>r</th><th></th></tr>\(rows)</table>"
                            + "<div class=\"charts\">" + heatmap.svg + "</div>")
        }

        // 4. Gate saturation.
        let saturation = GateSaturation.measure(r.passes)
        if saturation.isEmpty {
            page.section("Gate saturation", "A vanilla RNN has no gates.", "")
        } else {
            var charts: [String] = []
            for p in r.passes {
                let mine = saturation.filter { $0.layer == p.layer && $0.direction == p.direction }
                var chart = Chart(title: "Gate saturation, \(Self.passName(p, directions: directions))",
                                  xLabel: "fraction of steps left-saturated (gate < 0.1)",
                                  yLabel: "fraction right-saturated (gate > 0.9)",
                                  series: mine.map { g in
                                      Chart.Series(name: "\(g.gate) gate (\(g.units.count) units)",
                                                   points: g.units.map { ($0.leftFraction, $0.rightFraction) }, style: .points)
                                  })
                chart.xRange = 0...1
                chart.yRange = 0...1
                chart.width = 460
                chart.height = 400
                charts.append(chart.svg)
            }
            page.section("Gate saturation per layer",
                         "Each point is one unit's gate: how often it was shut (below 0.1, x) and wide open (above 0.9, y) over the text, as in Karpathy, Johnson and Fei-Fei (2015), figure 3. Points near the axes' ends are gates that act as switches; points near the origin are gates that stay in between.",
                         "<div class=\"charts\">" + charts.joined() + "</div>")
        }

        page.script = """
        const DATA = {tokens: \(tokensJS), step: \(stepJS), known: \(knownJS), passes: [\(passesJS.joined(separator: ","))]};
        const ALPHABET = "\(String(Self.alphabet))";
        \(Self.script)
        """
        return page
    }

    func values(pass: String, quantity: String, unit: Int) -> [Float] {
        let directions = (recording.passes.map(\.direction).max() ?? 0) + 1
        guard let p = recording.passes.first(where: { Self.passName($0, directions: directions) == pass }) else { return [] }
        return quantity == "c" ? (p.cell(unit: unit) ?? []).map { Foundation.tanh($0) } : p.output(unit: unit)
    }

    /// The page's script: pickers, colouring, and the ranking's show buttons.
    static let script = """
    const textBox = document.getElementById("text");
    const spans = DATA.tokens.map(function (tok, i) {
      const s = document.createElement("span"); s.className = "t" + (DATA.known[i] ? "" : " oov"); s.textContent = tok;
      textBox.appendChild(s); return s;
    });
    const passSel = document.getElementById("pass"), qSel = document.getElementById("quantity"), unitIn = document.getElementById("unit");
    DATA.passes.forEach(function (p, k) { const o = document.createElement("option"); o.value = k; o.textContent = p.name; passSel.appendChild(o); });
    function fillQuantities() {
      const keep = qSel.value; qSel.innerHTML = "";
      DATA.passes[passSel.value].quantities.forEach(function (q, k) { const o = document.createElement("option"); o.value = k; o.textContent = q.name; qSel.appendChild(o); });
      if (keep !== "" && keep < qSel.options.length) qSel.value = keep;
    }
    function mix(a, b, s) { return Math.round(a + (b - a) * s); }
    function colour(p, signed) {
      if (signed) {
        if (p < 0.5) { const s = p / 0.5; return "rgb(" + mix(33, 247, s) + "," + mix(102, 247, s) + "," + mix(172, 247, s) + ")"; }
        const s = (p - 0.5) / 0.5; return "rgb(" + mix(247, 178, s) + "," + mix(247, 24, s) + "," + mix(247, 43, s) + ")";
      }
      return "rgb(" + mix(247, 8, p) + "," + mix(251, 48, p) + "," + mix(255, 107, p) + ")";
    }
    function draw() {
      const q = DATA.passes[passSel.value].quantities[qSel.value];
      const H = q.units.length;
      let u = parseInt(unitIn.value, 10); if (!(u >= 0)) u = 0; if (u >= H) u = H - 1; unitIn.value = u; unitIn.max = H - 1;
      const codes = q.units[u], signed = q.lo < 0;
      document.getElementById("scale-signed").style.display = signed ? "" : "none";
      document.getElementById("scale-gate").style.display = signed ? "none" : "";
      spans.forEach(function (s, i) {
        const k = DATA.step[i];
        if (k < 0) { s.style.background = "#ddd"; s.title = "not in the model's vocabulary: skipped"; return; }
        const p = ALPHABET.indexOf(codes[k]) / 63;
        s.style.background = colour(p, signed);
        s.style.color = (signed ? Math.abs(p - 0.5) > 0.3 : p > 0.6) ? "#fff" : "#000";
        s.title = (q.lo + (q.hi - q.lo) * p).toFixed(3) + (DATA.known[i] ? "" : " (read as <unk>)");
      });
      document.getElementById("unit-info").textContent = "unit " + u + " of " + H;
    }
    passSel.addEventListener("change", function () { fillQuantities(); draw(); });
    qSel.addEventListener("change", draw); unitIn.addEventListener("change", draw);
    document.getElementById("prev").addEventListener("click", function () { unitIn.value = Math.max(0, unitIn.value - 1); draw(); });
    document.getElementById("next").addEventListener("click", function () { unitIn.value = +unitIn.value + 1; draw(); });
    document.querySelectorAll("button.unit").forEach(function (b) {
      b.addEventListener("click", function () {
        const k = DATA.passes.findIndex(function (p) { return p.name === b.dataset.pass; });
        passSel.value = k; fillQuantities();
        const q = DATA.passes[k].quantities.findIndex(function (q) { return q.name.charAt(0) === b.dataset.quantity; });
        qSel.value = q; unitIn.value = b.dataset.unit; draw(); textBox.scrollIntoView();
      });
    });
    if (DATA.passes.length > 0) {
      fillQuantities();
      const first = document.querySelector("button.unit");
      if (first) first.click(); else draw();
      window.scrollTo(0, 0);
    }
    """
}
