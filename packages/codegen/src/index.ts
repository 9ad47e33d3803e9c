// `ferry/codegen`: generate typed clients, handlers, validators and definitions from interfaces.
export { CodegenSession, generate, type GenerateOptions, type GenerateResult, type GeneratedFile } from "./session.js";
export { planOutput, applyPlan, type OutputPlan } from "./write.js";
export { watchCodegen, type CodegenWatch, type WatchOptions } from "./watch.js";
export { expandGlobs } from "./glob.js";
export { formatDiagnostic, type Diagnostic } from "./diagnostic.js";
export { generatedHeader } from "./format.js";
export type {
  DocModel,
  DocTagModel,
  MethodModel,
  MethodOptionsModel,
  PropertyModel,
  ServiceModel,
  TemplateHole,
  TupleElementModel,
  TypeModel,
  TypeRefModel,
} from "./model.js";
export { MethodKind } from "./model.js";
