using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EseBackupPlugin.HostSample.Plugins;

/// <summary>What a schema check found wrong with one value.</summary>
internal enum SchemaViolationKind
{
    /// <summary>A property the schema requires is missing.</summary>
    Required,

    /// <summary>A property the schema does not list (with <c>additionalProperties: false</c>).</summary>
    NotAllowed,

    /// <summary>A value outside the schema's <c>enum</c>.</summary>
    NotInEnum,

    /// <summary>A string that does not match the schema's <c>pattern</c>.</summary>
    Pattern,

    /// <summary>A value of the wrong JSON type.</summary>
    Type,

    /// <summary>A string shorter or longer than the schema allows.</summary>
    Length,

    /// <summary>An array with fewer items than the schema asks for.</summary>
    TooFewItems,

    /// <summary>An array whose items must be unique but are not.</summary>
    NotUnique,
}

/// <summary>One violation: what, where (a field path such as <c>platforms[0].os</c>), and on which line.</summary>
internal sealed record SchemaViolation(SchemaViolationKind Kind, string Field, int Line);

/// <summary>
/// Checks a JSON document against a JSON Schema (draft-07) that uses only the keywords a plugin manifest needs:
/// <c>type</c>, <c>enum</c>, <c>required</c>, <c>properties</c>, <c>additionalProperties</c>, <c>items</c>,
/// <c>minItems</c>, <c>uniqueItems</c>, <c>minLength</c>, <c>maxLength</c>, <c>pattern</c> (and the annotations).
/// </summary>
/// <remarks>
/// Why not a general validator: the one the host used (NJsonSchema, on Newtonsoft.Json) cost about a tenth of a second
/// of start-up in every command, reflection-heavy and with three more assemblies to load, to check a 5 KB file. A schema
/// that uses any other keyword is refused when it is loaded, so the subset can never silently skip a rule; the tests
/// compare this validator's verdicts with NJsonSchema's on many broken manifests.
/// </remarks>
internal sealed class SchemaValidator
{
    private static readonly HashSet<string> Annotations = ["$schema", "$id", "$comment", "title", "description", "default", "examples"];
    private static readonly HashSet<string> Checked = ["type", "enum", "required", "properties", "additionalProperties", "items", "minItems", "uniqueItems", "minLength", "maxLength", "pattern"];

    private readonly JsonDocument _schema;
    private readonly ConcurrentDictionary<string, Regex> _patterns = new(StringComparer.Ordinal);

    private SchemaValidator(JsonDocument schema) => _schema = schema;

    /// <summary>Parses a schema and checks that it uses only the supported keywords.</summary>
    /// <exception cref="InvalidOperationException">The schema uses a keyword this validator does not check.</exception>
    public static SchemaValidator Load(string schemaText)
    {
        var schema = JsonDocument.Parse(schemaText);
        CheckKeywords(schema.RootElement, "#");
        return new SchemaValidator(schema);
    }

    /// <summary>Every violation in <paramref name="jsonText"/>, in document order.</summary>
    /// <exception cref="JsonException"><paramref name="jsonText"/> is not JSON.</exception>
    public IReadOnlyList<SchemaViolation> Validate(string jsonText)
    {
        using var document = JsonDocument.Parse(jsonText);
        var lines = LineMap.Build(jsonText);
        var found = new List<SchemaViolation>();
        Check(_schema.RootElement, document.RootElement, string.Empty, found, lines);
        return found.OrderBy(v => v.Line).ToList();
    }

    private static void CheckKeywords(JsonElement schema, string where)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var keyword in schema.EnumerateObject())
        {
            if (!Annotations.Contains(keyword.Name) && !Checked.Contains(keyword.Name))
            {
                throw new InvalidOperationException($"The schema uses '{keyword.Name}' at {where}, which the host's validator does not check.");
            }
        }

        if (schema.TryGetProperty("properties", out var properties))
        {
            foreach (var property in properties.EnumerateObject())
            {
                CheckKeywords(property.Value, $"{where}/properties/{property.Name}");
            }
        }

        foreach (var child in new[] { "items", "additionalProperties" })
        {
            if (schema.TryGetProperty(child, out var sub))
            {
                CheckKeywords(sub, $"{where}/{child}");
            }
        }
    }

    private void Check(JsonElement schema, JsonElement value, string field, List<SchemaViolation> found, LineMap lines)
    {
        if (schema.TryGetProperty("type", out var type) && !HasType(value, type))
        {
            // A value of the wrong type cannot be checked further (the other keywords assume the type).
            found.Add(new(SchemaViolationKind.Type, field, lines.LineOf(field)));
            return;
        }

        if (schema.TryGetProperty("enum", out var allowed) && !allowed.EnumerateArray().Any(a => JsonElement.DeepEquals(a, value)))
        {
            found.Add(new(SchemaViolationKind.NotInEnum, field, lines.LineOf(field)));
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                CheckObject(schema, value, field, found, lines);
                break;
            case JsonValueKind.Array:
                CheckArray(schema, value, field, found, lines);
                break;
            case JsonValueKind.String:
                CheckString(schema, value.GetString()!, field, found, lines);
                break;
        }
    }

    private void CheckObject(JsonElement schema, JsonElement value, string field, List<SchemaViolation> found, LineMap lines)
    {
        if (schema.TryGetProperty("required", out var required))
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()!).Where(n => !value.TryGetProperty(n, out _)))
            {
                found.Add(new(SchemaViolationKind.Required, Join(field, name), lines.LineOf(field)));
            }
        }

        var properties = schema.TryGetProperty("properties", out var p) ? p : default;
        var additional = schema.TryGetProperty("additionalProperties", out var a) ? a : default;
        foreach (var property in value.EnumerateObject())
        {
            var path = Join(field, property.Name);
            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var propertySchema))
            {
                Check(propertySchema, property.Value, path, found, lines);
            }
            else if (additional.ValueKind == JsonValueKind.False)
            {
                found.Add(new(SchemaViolationKind.NotAllowed, path, lines.LineOf(path)));
            }
            else if (additional.ValueKind == JsonValueKind.Object)
            {
                Check(additional, property.Value, path, found, lines);
            }
        }
    }

    private void CheckArray(JsonElement schema, JsonElement value, string field, List<SchemaViolation> found, LineMap lines)
    {
        var count = value.GetArrayLength();
        if (schema.TryGetProperty("minItems", out var minItems) && count < minItems.GetInt32())
        {
            found.Add(new(SchemaViolationKind.TooFewItems, field, lines.LineOf(field)));
        }

        var items = value.EnumerateArray().ToList();
        if (schema.TryGetProperty("uniqueItems", out var unique) && unique.ValueKind == JsonValueKind.True
            && items.Where((item, i) => items.Take(i).Any(earlier => JsonElement.DeepEquals(earlier, item))).Any())
        {
            found.Add(new(SchemaViolationKind.NotUnique, field, lines.LineOf(field)));
        }

        if (schema.TryGetProperty("items", out var itemSchema))
        {
            for (var i = 0; i < items.Count; i++)
            {
                Check(itemSchema, items[i], $"{field}[{i}]", found, lines);
            }
        }
    }

    private void CheckString(JsonElement schema, string text, string field, List<SchemaViolation> found, LineMap lines)
    {
        // JSON Schema counts characters as code points, not UTF-16 units.
        var length = text.EnumerateRunes().Count();
        if ((schema.TryGetProperty("minLength", out var min) && length < min.GetInt32())
            || (schema.TryGetProperty("maxLength", out var max) && length > max.GetInt32()))
        {
            found.Add(new(SchemaViolationKind.Length, field, lines.LineOf(field)));
        }

        if (schema.TryGetProperty("pattern", out var pattern) && !Matches(PatternOf(pattern.GetString()!), text))
        {
            found.Add(new(SchemaViolationKind.Pattern, field, lines.LineOf(field)));
        }
    }

    private static bool Matches(Regex pattern, string text)
    {
        try
        {
            return pattern.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            // A value so long or odd that checking it takes over a second is not a value the schema meant to allow.
            return false;
        }
    }

    // ECMA-262 patterns, unanchored as JSON Schema says; the schema's patterns use only what .NET reads the same way
    // (classes, groups, look-ahead, anchors), except '$', which .NET also matches before a final line feed.
    private Regex PatternOf(string pattern) =>
        _patterns.GetOrAdd(pattern, p => new Regex(EcmaEnd(p), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));

    /// <summary>
    /// Rewrites each '$' anchor (not escaped, not in a character class) as '\z': without the multiline flag ECMA-262's
    /// '$' is the end of the input only, so "1.0.0\n" must not pass a version pattern.
    /// </summary>
    internal static string EcmaEnd(string pattern)
    {
        var result = new StringBuilder(pattern.Length + 4);
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                result.Append(c).Append(pattern[++i]);
                continue;
            }

            inClass = c == '[' || (inClass && c != ']');
            result.Append(c == '$' && !inClass ? "\\z" : c.ToString());
        }

        return result.ToString();
    }

    private static bool HasType(JsonElement value, JsonElement type) => type.ValueKind == JsonValueKind.Array
        ? type.EnumerateArray().Any(t => Is(value, t.GetString()!))
        : Is(value, type.GetString()!);

    private static bool Is(JsonElement value, string type) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => value.ValueKind == JsonValueKind.Null,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && decimal.TryParse(value.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d),
        _ => throw new InvalidOperationException($"The schema names an unknown type '{type}'."),
    };

    private static string Join(string field, string name) => field.Length == 0 ? name : $"{field}.{name}";

    /// <summary>The line each field path starts on, from one pass of a reader over the text.</summary>
    private sealed class LineMap
    {
        private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

        public int LineOf(string field) => _lines.TryGetValue(field, out var line) ? line : 1;

        public static LineMap Build(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var map = new LineMap();
            var reader = new Utf8JsonReader(bytes);
            var path = new Stack<Frame>();
            string? pendingName = null;
            var line = 1;
            var counted = 0;
            while (reader.Read())
            {
                // Line feeds between the last token and this one (each byte is counted once).
                var start = (int)reader.TokenStartIndex;
                line += bytes.AsSpan(counted, start - counted).Count((byte)'\n');
                counted = start;
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        pendingName = reader.GetString();
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.Pop();
                        break;
                    default:
                        var field = map.Enter(path, pendingName, line);
                        pendingName = null;
                        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                        {
                            path.Push(new Frame(field, reader.TokenType == JsonTokenType.StartArray));
                        }

                        break;
                }
            }

            return map;
        }

        private string Enter(Stack<Frame> path, string? name, int line)
        {
            string field;
            if (path.Count == 0)
            {
                field = string.Empty;
            }
            else
            {
                var parent = path.Peek();
                field = parent.IsArray ? $"{parent.Field}[{parent.NextIndex++}]" : Join(parent.Field, name!);
            }

            _lines.TryAdd(field, line);
            return field;
        }

        private sealed class Frame(string field, bool isArray)
        {
            public string Field { get; } = field;

            public bool IsArray { get; } = isArray;

            public int NextIndex { get; set; }
        }
    }
}
