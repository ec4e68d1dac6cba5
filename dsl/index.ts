/**
 * The journey DSL: grammar, compiler, evaluator. The only entry point other folders import.
 * docs/DSL.md describes the language.
 */
export { IR_VERSION, COMPATIBILITY_MODES, DEFAULT_COMPATIBILITY, TIMER_MAX_DELAY_MS } from './ir.js';
export type {
  AccessRule,
  ActionProcessor,
  AssignTarget,
  Bead,
  CompatibilityMode,
  CompiledJourney,
  Effect,
  EmittedEvent,
  Evaluation,
  EvaluationInput,
  EventContext,
  EventDefinition,
  Expr,
  Json,
  JsonObject,
  JsonSchema,
  Precondition,
  ProcessorRegistry,
  RejectionCode,
  SearchField,
  SourceLocation,
  Step,
  TimerDefinition,
  TimerWhen,
  Uplift,
} from './ir.js';

// Evaluating events (pure).
export { evaluate, isInitiating, checkAtEdge } from './evaluator.js';
export type { EdgeRefusal } from './evaluator.js';
export { createPayloadValidators } from './validation.js';
export type { PayloadValidators, PayloadViolation } from './validation.js';

// Who may read a journey (`read allow` rules), decided with the reader known (pure).
export { mayReadData, readAccess, residualOnSearchFields } from './read-access.js';
export type { ReadAccess, ReaderContext, SearchFilter, SearchFilterResult } from './read-access.js';

// Versions: compatibility between two versions, and uplifting data from an older one (pure).
export { checkCompatibility, compatibilityOf } from './compatibility.js';
export type { CompatibilitySchema, CompatibilityViolation } from './compatibility.js';
export { upliftData } from './uplift.js';
export type { UpliftResult } from './uplift.js';
export { checkUplift } from './uplift-check.js';
export type { UpliftCheckOptions, UpliftFinding } from './uplift-check.js';
export { generateSamples } from './sample-generator.js';
export type { SampleOptions } from './sample-generator.js';

// Compiling sources.
export { parseJourney } from './parser.js';
export type { ParseResult } from './parser.js';
export { compileJourney } from './compiler.js';
export type { CompileOutput } from './compiler.js';
export type { CompileInput } from './compilation.js';
export { CONTEXT_SCHEMA } from './expression-typing.js';
export { compileJourneys, loadJourneyDirectory, loadProcessors, readVersionFiles, DEFINITION_FILE } from './loader.js';
export type { CompiledJourneys, LoadedJourney } from './loader.js';
export { irSchema, assertValidIr, parseCompiledJourney } from './ir-schema.js';

// Version bundles: one version as one self-describing document (pure), and packing folders into
// them and loading their processors (I/O).
export {
  BUNDLE_FILE_SUFFIX,
  BUNDLE_FORMAT,
  bundleContentHash,
  bundleFileName,
  canonicalJson,
  createBundle,
  diffBundleFiles,
  parseBundle,
  serializeBundle,
} from './bundle.js';
export type { VersionBundle } from './bundle.js';
export { engineVersion, loadBundleProcessors, loadJourneySources, packVersion, readBundleFile } from './pack.js';
export type { JourneySources, LoadBundleProcessorsOptions, PackOptions, PackProgress } from './pack.js';

// Scenarios (`journey test`): a version's behaviour as data, run through the evaluator as the engine would (pure
// but for reading the files), and scaffolding a new version with one (`journey new`).
export { DEFAULT_SCENARIO_CONTEXT, DEFAULT_SCENARIO_START_MS, SCENARIO_CODES, SCENARIOS_DIR } from './scenario-model.js';
export type { Scenario, ScenarioCode, ScenarioFailure, ScenarioStep, StepTrace } from './scenario-model.js';
export { parseScenarios, scenarioSchema } from './scenario-parse.js';
export type { ParsedScenarios } from './scenario-parse.js';
export { runScenario } from './scenario-runner.js';
export type { ScenarioRun } from './scenario-runner.js';
export { formatScenarioFailure, formatScenarioReport } from './scenario-report.js';
export type { ScenarioReport, ScenarioResult, VersionScenarios } from './scenario-report.js';
export { findScenarioFiles, runScenarioFile, testJourneys } from './scenario-files.js';
export { journeyNameProblem, scaffoldVersion, versionProblem } from './scaffold.js';
export type { ScaffoldedVersion } from './scaffold.js';

// What an editor asks while a definition is written (the language server, editor/): schemas in scope, what is at the cursor.
export { beadEventAt, journeyScope, pathBeforeCursor, referenceAt, schemaAtPath, schemaFields, schemaTypeText } from './editor-queries.js';
export type { JourneyScope, ScopeEvent, SourceReference } from './editor-queries.js';

// Diagnostics.
export { DIAGNOSTIC_CODES, formatDiagnostic, formatDiagnostics, hasErrors, jsonPointerOffset } from './diagnostics.js';
export type { Diagnostic, DiagnosticCode, DiagnosticSeverity } from './diagnostics.js';

// Static analysis (states, senders, findings), graphs and generated types of compiled journeys.
export { ANALYSIS_CODES, COMPUTED_STATE, EVENT_ORIGINS, START_STATE, STARTED_STATE, SYSTEM_CONTEXTS, UNSET_STATE, journeyContext } from './analysis-model.js';
export { drawnTriggers, formatDuration, guardTexts, journeyGraph, linksToMermaid, svgGeometry, toMermaid, toSvg } from './graph.js';
export { journeyLinks, soleInitiatingEvent } from './journey-links.js';
export type { GraphEdge, GraphEdgeLine, GraphNode, GraphRoute, GraphTrigger, JourneyGraph, SvgDrawing } from './graph.js';
export { GENERATED_TYPES_FILE, generateJourneyTypes, journeyTypeNames } from './type-generator.js';
export type { JourneyTypeNames } from './type-generator.js';
export { analyzeJourney, analyzeJourneys } from './analysis.js';
export { formatAnalysis, formatFinding } from './analysis-report.js';
export type { SourceLines } from './analysis-report.js';
export { exprText } from './expression-text.js';
export type {
  AnalysisCode,
  AnalysisFinding,
  AnalysisOptions,
  BeadSummary,
  EventOrigin,
  JourneyAnalysis,
  JourneyLink,
  JourneysAnalysis,
  Producer,
  ReadSummary,
  Transition,
} from './analysis-model.js';
