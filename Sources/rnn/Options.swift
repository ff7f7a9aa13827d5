import ArgumentParser
import Recurrent

extension CellKind: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument.lowercased() {
        case "lstm": self = .lstm
        case "gru": self = .gru
        case "rnn", "rnn_tanh", "tanh": self = .rnnTanh
        case "rnn_relu", "relu": self = .rnnRelu
        default: return nil
        }
    }
    public static var allValueStrings: [String] { ["lstm", "gru", "rnn", "rnn_relu"] }
}

extension TextLevel: ExpressibleByArgument {}
extension TextTokenizer: ExpressibleByArgument {}
extension Pooling: ExpressibleByArgument {}
extension CoNLLU.TagColumn: ExpressibleByArgument {}
extension OptimizerConfig.Kind: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}

/// The recurrent stack's shape.
struct ModelOptions: ParsableArguments {
    @Option(help: "Recurrent cell: lstm, gru, rnn (tanh) or rnn_relu.")
    var cell: CellKind = .lstm
    @Option(help: "Number of stacked recurrent layers (default: 2 for lm, tag and numeric classify, 1 for text classify and forecast).")
    var layers: Int?
    @Option(help: "Hidden units per layer (default: 512 for lm, 200 for word-level lm, 256 for text classify, 128 for tag, 64 for numeric classify and forecast).")
    var hidden: Int?
    @Option(help: "Embedding size (default: lm: the hidden size for words, min(64, hidden) for characters; classify and tag: 100; generate: 32; translate: the hidden size).")
    var embedding: Int?
    @Option(help: "Dropout on embeddings, between layers and before the output layer (default: 0; 0.2 for word-level lm, 0.3 for numeric classify).")
    var dropout: Float?

    func validate() throws {
        if let l = layers { try Check.count(l, "--layers", in: 1...Int.max) }
        if let h = hidden { try Check.count(h, "--hidden", in: 1...Int.max) }
        if let e = embedding { try Check.count(e, "--embedding", in: 1...Int.max) }
        if let dropout, !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must lie in [0, 1), got \(dropout)") }
    }
}

/// Optimizer, schedule, budget and checkpoint options shared by every `train` command.
struct TrainingArguments: ParsableArguments {
    @Option(help: "Optimizer: sgd, adam, adamw, rmsprop or adagrad (default: adam; sgd for word-level lm).")
    var optimizer: OptimizerConfig.Kind?
    @Option(help: "Learning rate (default: 2e-3 for adam/adamw/rmsprop, 1 for sgd (20 for word-level lm), 0.1 for adagrad).")
    var lr: Float?
    @Option(help: "Momentum for sgd or rmsprop.")
    var momentum: Float = 0
    @Flag(help: "Nesterov momentum (sgd).")
    var nesterov = false
    @Option(help: "Weight decay (L2 for sgd/adam/rmsprop/adagrad, decoupled for adamw).")
    var weightDecay: Float = 0
    @Option(help: "RMSprop smoothing constant (char-rnn uses 0.95).")
    var alpha: Float = 0.99
    @Option(help: "Clip gradients to this global L2 norm; 0 disables clipping (default: 5; 0.25 for word-level lm).")
    var clip: Float?
    @Option(help: "Learning-rate schedule: constant, decay:EPOCH:FACTOR (after EPOCH, multiply per epoch), step:EVERY:FACTOR, cosine:WARMUP_STEPS, plateau:FACTOR:PATIENCE (default: constant; plateau:0.25:0 for word-level lm).",
            transform: LearningRateSchedule.parse)
    var schedule: LearningRateSchedule?
    @Option(help: "Train for this many minutes.")
    var minutes: Double?
    @Option(help: "Train for this many epochs.")
    var epochs: Int?
    @Option(help: "Train for this many optimizer steps.")
    var steps: Int?
    @Option(help: "Validate every N steps (0: at the end of each epoch).")
    var validateEvery = 0
    @Option(help: "Stop after this many validations without improvement.")
    var patience: Int?
    @Option(help: "What picks the best checkpoint and drives early stopping: loss, accuracy (classify and tag; their default) or bleu (translate; its default).")
    var select: SelectMetric?
    @Option(help: "Print a progress line and a metrics line every N steps (a terminal's progress line is redrawn several times a second).")
    var logEvery = 50
    @OptionGroup var seeding: SeedOption
    var seed: UInt64 { seeding.seed }
    @Option(help: "Where to write the model checkpoint: the best by validation loss (classify and tag: by validation accuracy; translate: BLEU; --select changes it), or the last when there is no validation.")
    var out: String
    @Option(help: "Append training and validation metrics to this JSON-lines file.")
    var metrics: String?
    @Option(help: "Draw the metrics as training curves in this HTML page, redrawn while training runs (needs --metrics).")
    var plot: String?
    @Flag(help: "Continue from the .resume.safetensors file beside --out.")
    var resume = false
    @Flag(help: "Replace the checkpoint and resume file that an earlier run left at --out (refused without it).")
    var force = false
    @Option(help: "Start from the weights of this checkpoint (fine-tuning: same model, new optimizer, schedule and step count).")
    var initFrom: String?
    @Flag(help: "Skip batches whose loss or gradients are not finite instead of stopping.")
    var skipNonfinite = false
    @OptionGroup var threads: ThreadsOption
    @Option(help: "Precision of the matrix products: fp32, or bf16 (bfloat16 products with float accumulation, float weights, gradients and optimizer; needs a CPU with AVX512-BF16).")
    var precision: Precision = .fp32

    func validate() throws {
        try Check.settings(try budget.validate(names: .options))
        if resume && force { throw ValidationError("give --resume (continue the run at --out) or --force (replace it), not both") }
        if resume && initFrom != nil { throw ValidationError("give --resume (continue the run at --out) or --init-from (new run from other weights), not both") }
        if let lr { try Check.positive(lr, "--lr") }
        if let clip { try Check.number(clip, "--clip", in: 0...Float.greatestFiniteMagnitude, " (0 disables clipping)") }
        try Check.number(momentum, "--momentum", in: 0...Float.greatestFiniteMagnitude)
        try Check.number(weightDecay, "--weight-decay", in: 0...Float.greatestFiniteMagnitude)
        guard alpha.isFinite, alpha >= 0, alpha < 1 else { throw ValidationError("--alpha must lie in [0, 1), got \(alpha)") }
        try Check.count(validateEvery, "--validate-every", in: 0...Int.max)
        if let patience { try Check.count(patience, "--patience", in: 1...Int.max) }
        try Check.count(logEvery, "--log-every", in: 1...Int.max)
        if nesterov && (optimizer.map { $0 != .sgd } ?? true || momentum <= 0) { throw ValidationError("--nesterov needs --optimizer sgd and --momentum > 0") }
        if let plot {
            guard let metrics else { throw ValidationError("--plot draws the --metrics file; give --metrics FILE too") }
            if plot == metrics || plot == out { throw ValidationError("--plot \(plot) must differ from --metrics and --out") }
        }
        try Check.settings(try precision.validate())
        if schedule?.isCosine == true, steps == nil, epochs == nil {
            throw ValidationError("--schedule cosine needs --steps or --epochs to know where the cosine ends")
        }
    }

    /// The training budget the options give.
    var budget: TrainingBudget { TrainingBudget(epochs: epochs, steps: steps, minutes: minutes) }

    /// The library's options; `batchesPerEpoch` lets cosine span an epoch budget;
    /// `defaultSelect` is the metric that picks the best checkpoint unless `--select` says otherwise;
    /// `defaults` the task's optimizer, learning rate, clipping and schedule unless the options say otherwise.
    func options(batchesPerEpoch: Int, defaultSelect: SelectMetric = .loss, defaults: TrainingDefaults = TrainingDefaults(),
                 inputs: [String: String] = [:]) throws -> TrainingOptions {
        let kind = optimizer ?? defaults.optimizer
        let rate = lr ?? (kind == defaults.optimizer ? defaults.learningRate : nil) ?? OptimizerConfig.defaultLearningRate(kind)
        var config = OptimizerConfig(kind: kind, learningRate: rate)
        config.momentum = momentum
        config.nesterov = nesterov
        config.weightDecay = weightDecay
        config.alpha = alpha
        var o = TrainingOptions(output: out, optimizer: config)
        o.budget = budget
        o.validateEvery = validateEvery
        let clip = clip ?? defaults.clip
        o.clipNorm = clip > 0 ? clip : nil
        o.earlyStoppingPatience = patience
        o.selectMetric = (select ?? defaultSelect).trainerMetric
        o.seed = seed
        o.metricsPath = metrics
        o.logEvery = logEvery
        o.skipNonFinite = skipNonfinite
        o.inputs = inputs
        o.schedule = (schedule ?? defaults.schedule).withTotalSteps(steps ?? epochs.map { e in
            let (total, overflow) = e.multipliedReportingOverflow(by: batchesPerEpoch)
            return overflow ? Int.max : total
        } ?? 1)
        return o
    }
}

/// What a task trains with unless `--optimizer`, `--lr`, `--clip` or `--schedule` say otherwise.
struct TrainingDefaults {
    var optimizer: OptimizerConfig.Kind = .adam
    /// nil: the optimizer's own default (``OptimizerConfig/defaultLearningRate(_:)``).
    var learningRate: Float? = nil
    var clip: Float = 5
    var schedule: LearningRateSchedule = .constant
}
