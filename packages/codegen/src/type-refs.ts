import { Node, type TypeNode } from "ts-morph";
import type { TypeImportModel, TypeRefModel } from "./model.js";

/**
 * Decides how generated code names a request or response type without re-printing it: the type
 * as written when it only combines keywords, literals and exported named types (`PlaceOrder`,
 * `Page<Item>`, `Quote | null`), which the generated files then import; otherwise an indexed
 * access into the service interface (`Parameters<Orders["quote"]>[0]`), which is always exact.
 */
export class TypeRefs {
  /** Names already imported for this service, so one name never means two declarations. */
  private readonly taken = new Map<string, string>();

  constructor(
    private readonly reserved: ReadonlySet<string>,
    private readonly isLibrary: (node: Node) => boolean,
  ) {}

  /** The reference to `node`, or `fallback` when it cannot be written portably. */
  refer(node: TypeNode | undefined, fallback: string): TypeRefModel {
    const imports: TypeImportModel[] = [];
    if (node === undefined || !this.portable(node, imports)) return { text: fallback, imports: [], viaService: true };
    for (const item of imports) this.taken.set(item.name, item.file);
    return { text: node.getText().replace(/\s+/g, " "), imports: dedupe(imports), viaService: false };
  }

  private portable(node: TypeNode, imports: TypeImportModel[]): boolean {
    if (Node.isParenthesizedTypeNode(node)) return this.portable(node.getTypeNode(), imports);
    if (Node.isUnionTypeNode(node)) return node.getTypeNodes().every((member) => this.portable(member, imports));
    if (Node.isArrayTypeNode(node)) return this.portable(node.getElementTypeNode(), imports);
    if (Node.isTupleTypeNode(node)) return node.getElements().every((element) => Node.isTypeNode(element) && !Node.isNamedTupleMember(element) && this.portable(element, imports));
    if (Node.isLiteralTypeNode(node)) return true;
    if (isKeyword(node)) return true;
    if (Node.isTypeReference(node)) {
      const name = node.getTypeName();
      if (!Node.isIdentifier(name)) return false;
      const args = node.getTypeArguments();
      if (!args.every((arg) => this.portable(arg, imports))) return false;
      const symbol = name.getSymbol();
      const target = symbol?.isAlias() ? symbol.getAliasedSymbol() : symbol;
      const declaration = target?.getDeclarations()[0];
      if (declaration === undefined) return false;
      if (this.isLibrary(declaration)) return !this.reserved.has(name.getText());
      if (!(Node.isInterfaceDeclaration(declaration) || Node.isTypeAliasDeclaration(declaration) || Node.isClassDeclaration(declaration) || Node.isEnumDeclaration(declaration))) return false;
      // Only a top-level export under the same name can be imported by that name.
      const exported = declaration.getName() === name.getText() && declaration.isExported() && Node.isSourceFile(declaration.getParent());
      if (!exported || this.reserved.has(name.getText())) return false;
      const file = declaration.getSourceFile().getFilePath();
      const owner = this.taken.get(name.getText()) ?? imports.find((item) => item.name === name.getText())?.file;
      if (owner !== undefined && owner !== file) return false;
      imports.push({ name: name.getText(), file });
      return true;
    }
    return false;
  }
}

const keywords = new Set(["string", "number", "boolean", "bigint", "null", "undefined", "void", "unknown"]);

function isKeyword(node: TypeNode): boolean {
  return keywords.has(node.getText());
}

function dedupe(imports: readonly TypeImportModel[]): TypeImportModel[] {
  const seen = new Map<string, TypeImportModel>();
  for (const item of imports) seen.set(`${item.file}\0${item.name}`, item);
  return [...seen.values()];
}
