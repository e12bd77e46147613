using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace Dif.HelpGen;

/// <summary>Writes MAML help (what Get-Help reads for binary cmdlets) for every cmdlet in an assembly.
/// Cmdlet and parameter metadata (names, sets, positions, pipeline input, aliases, wildcards, output
/// types) come from the compiled attributes, read with MetadataLoadContext so nothing is executed; the
/// prose comes from the XML doc comments:
///   class:    summary = synopsis; remarks/para = description; example (title attribute) with code and
///             para = examples; returns = what the output objects are; seealso cref/href = related links
///   property: summary (+ remarks/para) = parameter description; value = the default when omitted
/// A cmdlet or parameter without its text is an error, so help cannot silently go missing.
/// Usage: Dif.HelpGen ASSEMBLY XMLDOC OUTPUT REFERENCES.txt</summary>
internal static class Program
{
    private const string Maml = "http://schemas.microsoft.com/maml/2004/10";
    private const string Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private const string Dev = "http://schemas.microsoft.com/maml/dev/2004/10";
    private static readonly XNamespace M = Maml, C = Command, D = Dev;
    private const string AllSets = "__AllParameterSets";

    private static int Main(string[] args)
    {
        if (args.Length != 4)
        {
            Console.Error.WriteLine("usage: Dif.HelpGen ASSEMBLY XMLDOC OUTPUT REFERENCES.txt");
            return 2;
        }
        var (assemblyPath, docPath, outputPath, referencesPath) = (args[0], args[1], args[2], args[3]);
        var references = File.ReadAllLines(referencesPath).Where(l => l.Trim().Length > 0).Select(l => l.Trim()).ToList();
        references.Add(assemblyPath);
        using var context = new MetadataLoadContext(new PathAssemblyResolver(references.Distinct()));
        var assembly = context.LoadFromAssemblyPath(assemblyPath);
        var docs = Docs.Load(docPath);
        var problems = new List<string>();

        var commands = new List<XElement>();
        foreach (var type in assembly.GetExportedTypes().Where(t => !t.IsAbstract).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            var cmdlet = Attr(type, "System.Management.Automation.CmdletAttribute");
            if (cmdlet is null) continue;
            commands.Add(CommandHelp(type, cmdlet, docs, problems));
        }
        if (commands.Count == 0) problems.Add($"{assemblyPath}: no cmdlet found.");
        if (problems.Count > 0)
        {
            foreach (var p in problems) Console.Error.WriteLine($"Dif.HelpGen: error: {p}");
            return 1;
        }

        var root = new XElement(XName.Get("helpItems", "http://msh"), new XAttribute("schema", "maml"), commands);
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
        var temp = outputPath + ".tmp";
        using (var writer = XmlWriter.Create(temp, settings)) new XDocument(root).Save(writer);
        File.Move(temp, outputPath, overwrite: true);
        Console.WriteLine($"Dif.HelpGen: help for {commands.Count} cmdlet(s) written to {outputPath}");
        return 0;
    }

    private sealed record Param(string Name, Type Type, PropertyInfo Property, List<SetInfo> Sets, string[] Aliases, bool Globbing, string Description, string? Default);
    private sealed record SetInfo(string Set, bool Mandatory, int? Position, bool ByValue, bool ByPropertyName);

    private static XElement CommandHelp(Type type, CustomAttributeData cmdlet, Docs docs, List<string> problems)
    {
        string verb = (string)cmdlet.ConstructorArguments[0].Value!, noun = (string)cmdlet.ConstructorArguments[1].Value!;
        string name = $"{verb}-{noun}";
        bool shouldProcess = Named(cmdlet, "SupportsShouldProcess") is true;
        string? defaultSet = Named(cmdlet, "DefaultParameterSetName") as string;
        var doc = docs.Member("T:" + type.FullName);
        if (doc is null) { problems.Add($"{name} ({type.FullName}): no XML doc comment."); doc = new XElement("member"); }

        string synopsis = Docs.Text(doc.Element("summary"));
        if (synopsis.Length == 0) problems.Add($"{name}: no <summary> (the synopsis).");
        var description = Docs.Paragraphs(doc.Element("remarks"));
        if (description.Count == 0) problems.Add($"{name}: no <remarks> (the description).");
        var examples = doc.Elements("example").ToList();
        if (examples.Count == 0) problems.Add($"{name}: no <example>.");

        var parameters = new List<Param>();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var paramAttrs = property.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "System.Management.Automation.ParameterAttribute").ToList();
            if (paramAttrs.Count == 0) continue;
            var sets = paramAttrs.Select(a => new SetInfo(
                Named(a, "ParameterSetName") as string ?? AllSets,
                Named(a, "Mandatory") is true,
                Named(a, "Position") is int p && p >= 0 ? p : null,
                Named(a, "ValueFromPipeline") is true,
                Named(a, "ValueFromPipelineByPropertyName") is true)).ToList();
            var alias = Attr(property, "System.Management.Automation.AliasAttribute");
            var aliases = alias is null ? [] : ((IEnumerable<CustomAttributeTypedArgument>)alias.ConstructorArguments[0].Value!).Select(v => (string)v.Value!).ToArray();
            bool globbing = Attr(property, "System.Management.Automation.SupportsWildcardsAttribute") is not null;
            var pdoc = docs.Member($"P:{property.DeclaringType!.FullName}.{property.Name}");
            var text = string.Join("\n\n", new[] { Docs.Text(pdoc?.Element("summary")) }.Concat(Docs.Paragraphs(pdoc?.Element("remarks"))).Where(s => s.Length > 0));
            if (text.Length == 0) problems.Add($"{name}: parameter -{property.Name} has no <summary>.");
            var dflt = Docs.Text(pdoc?.Element("value"));
            parameters.Add(new Param(property.Name, property.PropertyType, property, sets, aliases, globbing, text, dflt.Length > 0 ? dflt : null));
        }
        if (shouldProcess)
        {
            parameters.Add(Common("WhatIf", "wi", "Shows what would be written without writing anything. The cmdlet still runs and emits its objects; only writes are skipped."));
            parameters.Add(Common("Confirm", "cf", "Asks for confirmation before each write."));
        }

        var setNames = parameters.SelectMany(p => p.Sets).Select(s => s.Set).Where(s => s != AllSets).Distinct().ToList();
        if (setNames.Count == 0) setNames.Add(AllSets);
        // The default set first, as Get-Help and Get-Command show them.
        if (defaultSet is not null && setNames.Remove(defaultSet)) setNames.Insert(0, defaultSet);

        var syntax = new XElement(C + "syntax");
        foreach (var set in setNames)
        {
            var inSet = parameters.Select(p => (p, s: p.Sets.FirstOrDefault(s => s.Set == set) ?? p.Sets.FirstOrDefault(s => s.Set == AllSets)))
                .Where(x => x.s is not null).ToList();
            var ordered = inSet.Where(x => x.s!.Position is not null).OrderBy(x => x.s!.Position)
                .Concat(inSet.Where(x => x.s!.Position is null && x.s.Mandatory))
                .Concat(inSet.Where(x => x.s!.Position is null && !x.s.Mandatory));
            syntax.Add(new XElement(C + "syntaxItem", new XElement(M + "name", name),
                ordered.Select(x => ParameterElement(x.p, x.s!, inSyntax: true))));
        }

        var inputs = parameters.Where(p => p.Sets.Any(s => s.ByValue || s.ByPropertyName))
            .GroupBy(p => p.Type.FullName)
            .Select(g => new XElement(C + "inputType",
                new XElement(D + "type", new XElement(M + "name", g.Key), new XElement(M + "uri")),
                new XElement(M + "description", g.Select(p => Para(InputText(p))))));

        var outputs = new XElement(C + "returnValues");
        var returns = Docs.Text(doc.Element("returns"));
        foreach (var output in type.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "System.Management.Automation.OutputTypeAttribute"))
            foreach (var value in (IEnumerable<CustomAttributeTypedArgument>)output.ConstructorArguments[0].Value!)
            {
                var typeName = value.Value is Type t ? t.FullName : value.Value?.ToString();
                outputs.Add(new XElement(C + "returnValue",
                    new XElement(D + "type", new XElement(M + "name", typeName), new XElement(M + "uri")),
                    new XElement(M + "description", Para(returns))));
            }
        if (!outputs.HasElements) problems.Add($"{name}: no [OutputType] attribute.");

        int n = 0;
        var exampleElements = examples.Select(e =>
        {
            n++;
            var title = e.Attribute("title")?.Value;
            var code = Docs.Code(e.Element("code"));
            if (code.Length == 0) problems.Add($"{name}: example {n} has no <code>.");
            return new XElement(C + "example",
                new XElement(M + "title", $"Example {n}{(title is null ? "" : ": " + title)}"),
                new XElement(D + "code", code),
                // The empty last paragraph keeps a blank line between one example and the next title.
                new XElement(D + "remarks", Docs.Paragraphs(e).Select(Para), Para("")));
        });

        var links = doc.Elements("seealso").Select(s =>
        {
            var cref = s.Attribute("cref")?.Value;
            var href = s.Attribute("href")?.Value;
            var text = Docs.Text(s);
            if (cref is not null) text = text.Length > 0 ? text : Docs.CmdletName(cref);
            return new XElement(M + "navigationLink", new XElement(M + "linkText", text.Length > 0 ? text : href), new XElement(M + "uri", href ?? ""));
        });

        return new XElement(C + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml), new XAttribute(XNamespace.Xmlns + "command", Command), new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XElement(C + "details",
                new XElement(C + "name", name), new XElement(C + "verb", verb), new XElement(C + "noun", noun),
                new XElement(M + "description", Para(synopsis))),
            new XElement(M + "description", description.Select(Para)),
            syntax,
            new XElement(C + "parameters", parameters.Select(p => ParameterElement(p, Primary(p, defaultSet), inSyntax: false))),
            new XElement(C + "inputTypes", inputs),
            outputs,
            new XElement(C + "examples", exampleElements.ToList()),
            new XElement(C + "relatedLinks", links));
    }

    private static SetInfo Primary(Param p, string? defaultSet)
        => p.Sets.FirstOrDefault(s => s.Set == defaultSet) ?? p.Sets[0];

    private static Param Common(string name, string alias, string text)
        => new(name, typeof(bool), null!, [new SetInfo(AllSets, false, null, false, false)], [alias], false, text, "False") { };

    private static bool IsSwitch(Param p) => p.Property is null || p.Type.FullName == "System.Management.Automation.SwitchParameter";

    private static XElement ParameterElement(Param p, SetInfo s, bool inSyntax)
    {
        bool isSwitch = IsSwitch(p);
        string typeName = isSwitch ? "SwitchParameter" : ShortName(p.Type);
        var element = new XElement(C + "parameter",
            new XAttribute("required", s.Mandatory ? "true" : "false"),
            new XAttribute("variableLength", p.Type.IsArray ? "true" : "false"),
            new XAttribute("globbing", p.Globbing ? "true" : "false"),
            new XAttribute("pipelineInput", Pipeline(s)),
            new XAttribute("position", s.Position?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "named"),
            new XAttribute("aliases", p.Aliases.Length == 0 ? "none" : string.Join(", ", p.Aliases)),
            new XElement(M + "name", p.Name),
            new XElement(M + "description", p.Description.Split("\n\n").Select(Para)));
        if (!isSwitch || !inSyntax)
            element.Add(new XElement(C + "parameterValue", new XAttribute("required", isSwitch ? "false" : "true"), new XAttribute("variableLength", "false"), typeName));
        element.Add(new XElement(D + "type", new XElement(M + "name", isSwitch ? "System.Management.Automation.SwitchParameter" : p.Type.FullName), new XElement(M + "uri")));
        element.Add(new XElement(D + "defaultValue", p.Default ?? (isSwitch ? "False" : "None")));
        return element;
    }

    private static string Pipeline(SetInfo s) => (s.ByPropertyName, s.ByValue) switch
    {
        (true, true) => "True (ByPropertyName, ByValue)",
        (true, false) => "True (ByPropertyName)",
        (false, true) => "True (ByValue)",
        _ => "False",
    };

    private static string InputText(Param p)
    {
        var how = new List<string>();
        if (p.Sets.Any(s => s.ByValue)) how.Add("by value");
        if (p.Sets.Any(s => s.ByPropertyName))
            how.Add("by property name (" + string.Join(", ", new[] { p.Name }.Concat(p.Aliases)) + ")");
        return $"-{p.Name} takes pipeline input {string.Join(" and ", how)}.";
    }

    private static string ShortName(Type t)
    {
        if (t.IsArray) return ShortName(t.GetElementType()!) + "[]";
        if (t.IsGenericType && t.GetGenericTypeDefinition().FullName == "System.Nullable`1") return ShortName(t.GetGenericArguments()[0]);
        return t.Name;
    }

    private static XElement Para(string text) => new(M + "para", text);

    private static CustomAttributeData? Attr(MemberInfo member, string fullName)
        => member.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == fullName);

    private static object? Named(CustomAttributeData a, string name)
        => a.NamedArguments.Where(n => n.MemberName == name).Select(n => n.TypedValue.Value).FirstOrDefault();
}

/// <summary>The compiler's XML documentation file, and the small subset of doc-comment markup help uses.</summary>
internal sealed class Docs
{
    private readonly Dictionary<string, XElement> members;
    private Docs(Dictionary<string, XElement> members) => this.members = members;

    public static Docs Load(string path)
    {
        var doc = XDocument.Load(path, LoadOptions.PreserveWhitespace);
        return new Docs(doc.Descendants("member").Where(m => m.Attribute("name") is not null)
            .ToDictionary(m => m.Attribute("name")!.Value, m => m));
    }

    public XElement? Member(string id) => members.GetValueOrDefault(id);

    /// <summary>Flowing text of an element: whitespace collapsed, inline markup turned into plain text.</summary>
    public static string Text(XElement? element)
    {
        if (element is null) return "";
        var sb = new StringBuilder();
        foreach (var node in element.Nodes()) Inline(node, sb);
        return Regex.Replace(sb.ToString(), @"\s+", " ").Trim();
    }

    /// <summary>The paragraphs of an element: each para child, or its whole text when it has none.</summary>
    public static List<string> Paragraphs(XElement? element)
    {
        if (element is null) return [];
        var paras = element.Elements("para").Select(Text).Where(t => t.Length > 0).ToList();
        if (paras.Count == 0 && element.Name != "example")
        {
            var whole = Text(element);
            if (whole.Length > 0) paras.Add(whole);
        }
        return paras;
    }

    /// <summary>A code block with the doc comment's own indentation removed and relative indentation kept.</summary>
    public static string Code(XElement? code)
    {
        if (code is null) return "";
        var lines = code.Value.Replace("\r\n", "\n").Split('\n').ToList();
        // The indentation the compiler left before each '///' line is the whitespace before the element.
        var before = code.PreviousNode is XText t ? t.Value : code.Parent?.PreviousNode is XText pt ? pt.Value : "";
        var indent = before.Contains('\n') ? before[(before.LastIndexOf('\n') + 1)..] : "";
        for (int i = 1; i < lines.Count; i++)
            if (indent.Length > 0 && lines[i].StartsWith(indent, StringComparison.Ordinal)) lines[i] = lines[i][indent.Length..];
        while (lines.Count > 0 && lines[0].Trim().Length == 0) lines.RemoveAt(0);
        while (lines.Count > 0 && lines[^1].Trim().Length == 0) lines.RemoveAt(lines.Count - 1);
        return string.Join("\n", lines.Select(l => l.TrimEnd()));
    }

    /// <summary>"T:Ns.GetFooBarCommand" → "Get-FooBar" (the project's class-naming convention).</summary>
    public static string CmdletName(string cref)
    {
        var name = cref[(cref.LastIndexOf('.') + 1)..];
        if (name.EndsWith("Command", StringComparison.Ordinal)) name = name[..^"Command".Length];
        var m = Regex.Match(name, "^([A-Z][a-z]+)(.+)$");
        return m.Success ? $"{m.Groups[1].Value}-{m.Groups[2].Value}" : name;
    }

    private static void Inline(XNode node, StringBuilder sb)
    {
        switch (node)
        {
            case XText text: sb.Append(text.Value); break;
            case XElement e when e.Name == "paramref": sb.Append('-').Append(e.Attribute("name")?.Value); break;
            case XElement e when e.Name == "see" && e.Attribute("cref") is { } cref:
                sb.Append(e.Value.Length > 0 ? e.Value : cref.Value.EndsWith("Command", StringComparison.Ordinal) ? CmdletName(cref.Value) : cref.Value[(cref.Value.LastIndexOf('.') + 1)..]);
                break;
            case XElement e when e.Name == "see" && e.Attribute("langword") is { } word: sb.Append(word.Value); break;
            case XElement e when e.Name == "see" && e.Attribute("href") is { } href: sb.Append(e.Value.Length > 0 ? $"{e.Value} ({href.Value})" : href.Value); break;
            case XElement e when e.Name == "para": sb.Append(' '); foreach (var n in e.Nodes()) Inline(n, sb); sb.Append(' '); break;
            case XElement e: foreach (var n in e.Nodes()) Inline(n, sb); break;
        }
    }
}
