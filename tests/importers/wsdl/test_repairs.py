"""Quirks of real WSDL bundles that other tools read: each small WSDL here loads with the
one operation it declares and a warning naming the repair; the ones zeep already reads
load with none; and no repair reaches outside the upload."""

from __future__ import annotations

import pytest

from importers import UnsafeSpecError
from importers.wsdl import WsdlReferenceError, import_wsdl, import_wsdl_or_raise, wsdl_roots

WSDL = '''<?xml version="1.0"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:t="urn:types" xmlns:tns="urn:svc" {target}>
  {imports}<wsdl:types>{types}</wsdl:types>
  <wsdl:message name="EchoIn"><wsdl:part name="p" element="t:EchoRequest"/></wsdl:message>
  <wsdl:message name="EchoOut"><wsdl:part name="p" element="t:EchoResponse"/></wsdl:message>
  <wsdl:portType name="EchoPort"><wsdl:operation name="Echo">
    <wsdl:input message="tns:EchoIn"/><wsdl:output message="tns:EchoOut"/>
  </wsdl:operation></wsdl:portType>
  <wsdl:binding name="EchoBinding" type="tns:EchoPort">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="Echo"><soap:operation soapAction="urn:Echo"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="EchoService"><wsdl:port name="EchoPort" binding="tns:EchoBinding">
    <soap:address location="http://127.0.0.1:9/echo"/></wsdl:port></wsdl:service>
</wsdl:definitions>'''

REQUEST = ('<xsd:element name="EchoRequest"><xsd:complexType><xsd:sequence>'
           '<xsd:element name="text" type="xsd:string"/></xsd:sequence></xsd:complexType>'
           '</xsd:element><xsd:element name="EchoResponse" type="{answer}"/>')
ANSWER = ('<xsd:complexType name="Answer"><xsd:sequence>'
          '<xsd:element name="text" type="xsd:string"/></xsd:sequence></xsd:complexType>')
ELEMENTS = REQUEST.format(answer="t:Answer") + ANSWER


def wsdl(types: str, *, imports: str = "", target: str = 'targetNamespace="urn:svc"'
         ) -> bytes:
    return WSDL.format(types=types, imports=imports, target=target).encode()


def schema(body: str, *, target: str = "urn:types", extra: str = "") -> bytes:
    target_attribute = f'targetNamespace="{target}"' if target else ""
    return (f'<?xml version="1.0"?><xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            f'xmlns:t="urn:types" elementFormDefault="qualified" {target_attribute} {extra}>'
            f'{body}</xsd:schema>').encode()


def inline(body: str, target: str = "urn:x") -> str:
    return f'<xsd:schema targetNamespace="{target}">{body}</xsd:schema>'


def imported(location: str, namespace: str = "urn:types") -> str:
    return f'<xsd:import namespace="{namespace}" schemaLocation="{location}"/>'


# name -> (files, the repair's rule or None when zeep reads it as it is)
CASES: dict[str, tuple[dict[str, bytes], str | None]] = {
    "import straight under wsdl:types": (
        {"main.wsdl": wsdl(imported("types.xsd")), "types.xsd": schema(ELEMENTS)},
        "wsdl-loose-schema-reference"),
    "include straight under wsdl:types": (
        {"main.wsdl": wsdl('<xsd:include schemaLocation="types.xsd"/>'),
         "types.xsd": schema(ELEMENTS)},
        "wsdl-loose-schema-reference"),
    "an import naming another namespace than the schema's": (
        {"main.wsdl": wsdl(inline(imported("types.xsd", namespace="urn:wrong"))),
         "types.xsd": schema(ELEMENTS)},
        "wsdl-import-namespace"),
    "an include of a schema of another namespace": (
        {"main.wsdl": wsdl(inline('<xsd:include schemaLocation="types.xsd"/>')),
         "types.xsd": schema(ELEMENTS)},
        "wsdl-include-namespace"),
    "a location with backslashes": (
        {"main.wsdl": wsdl(inline(imported("xsd\\types.xsd"))),
         "xsd/types.xsd": schema(ELEMENTS)},
        "wsdl-location-backslash"),
    "a location in another letter case": (
        {"main.wsdl": wsdl(inline(imported("Schemas/Types.XSD"))),
         "schemas/types.xsd": schema(ELEMENTS)},
        "wsdl-location-case"),
    "an absolute URL whose file is beside the WSDL": (
        {"main.wsdl": wsdl(inline(imported("http://example.com/schemas/types.xsd"))),
         "types.xsd": schema(ELEMENTS)},
        "wsdl-remote-local-copy"),
    "a wsdl:import of another WSDL by its published URL": (
        {"main.wsdl": wsdl("", imports='<wsdl:import namespace="urn:types" '
                                       'location="https://example.com/svc/types.wsdl"/>'),
         "types.wsdl": b'<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" '
                       b'targetNamespace="urn:types"><wsdl:types>'
                       + schema(ELEMENTS).split(b"?>", 1)[1]
                       + b"</wsdl:types></wsdl:definitions>"},
        "wsdl-remote-local-copy"),
    "a complexContent without extension or restriction": (
        {"main.wsdl": wsdl(inline(REQUEST.format(answer="t:Answer").replace(
            "<xsd:complexType><xsd:sequence>",
            "<xsd:complexType><xsd:complexContent><xsd:sequence>").replace(
            "</xsd:sequence></xsd:complexType></xsd:element>",
            "</xsd:sequence></xsd:complexContent></xsd:complexType></xsd:element>", 1)
            + ANSWER, "urn:types"))},
        "wsdl-complex-content-unwrapped"),
    "a soap:header naming a message the WSDL lacks": (
        {"main.wsdl": wsdl(inline(ELEMENTS, "urn:types")).replace(
            b'<wsdl:input><soap:body use="literal"/>',
            b'<wsdl:input><soap:body use="literal"/>'
            b'<soap:header message="tns:Missing" part="h" use="literal"/>')},
        "wsdl-header-message-missing"),
    # What zeep already reads as it is: no repair, no warning.
    "a wrapper schema whose targetNamespace is XML Schema's own": (
        {"main.wsdl": wsdl(inline(imported("types.xsd"), "http://www.w3.org/2001/XMLSchema")),
         "types.xsd": schema(ELEMENTS)}, None),
    "an include chain": (
        {"main.wsdl": wsdl(inline('<xsd:include schemaLocation="a.xsd"/>', "urn:types")),
         "a.xsd": schema('<xsd:include schemaLocation="b.xsd"/>'
                         + REQUEST.format(answer="t:Answer")),
         "b.xsd": schema(ANSWER)}, None),
    "imports of imports with relative locations": (
        {"main.wsdl": wsdl(inline(imported("xsd/a.xsd"))),
         "xsd/a.xsd": schema('<xsd:import namespace="urn:answer" '
                             'schemaLocation="../common/b.xsd"/>'
                             + REQUEST.format(answer="a:Answer"), extra='xmlns:a="urn:answer"'),
         "common/b.xsd": schema(ANSWER, target="urn:answer")}, None),
    "a wsdl:import of an XSD": (
        {"main.wsdl": wsdl("", imports='<wsdl:import namespace="urn:types" '
                                       'location="types.xsd"/>'),
         "types.xsd": schema(ELEMENTS)}, None),
    "a WSDL without targetNamespace": (
        {"main.wsdl": wsdl(inline(ELEMENTS, "urn:types"), target="").replace(b"tns:", b"")},
        None),
    "an include of a schema without targetNamespace (chameleon)": (
        {"main.wsdl": wsdl(inline('<xsd:include schemaLocation="c.xsd"/>', "urn:types")),
         "c.xsd": schema(ELEMENTS, target="")}, None),
    "an import without a namespace attribute": (
        {"main.wsdl": wsdl(inline('<xsd:import schemaLocation="types.xsd"/>')),
         "types.xsd": schema(ELEMENTS)}, None),
    "sibling schemas in wsdl:types referring to each other": (
        {"main.wsdl": wsdl(inline(ANSWER, "urn:answer")
                           + '<xsd:schema targetNamespace="urn:types" xmlns:a="urn:answer">'
                           + '<xsd:import namespace="urn:answer"/>'
                           + REQUEST.format(answer="a:Answer") + "</xsd:schema>")}, None),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_quirk_is_read(name: str) -> None:
    files, rule = CASES[name]
    result = import_wsdl("main.wsdl", files, connector_id="quirk")
    assert result.errors == []
    assert result.connector is not None
    [operation] = result.connector.operations
    assert operation.operation_id == "Echo"
    assert operation.request_schema is not None
    assert "text" in operation.request_schema["properties"]
    warned = [f.rule for f in result.warnings]
    assert warned == ([rule] if rule else [])
    # The stored documents rebuild the same client: the repaired locations name them.
    assert set(result.connector.documents) <= set(files)


def test_a_repair_never_reads_a_file_outside_the_upload() -> None:
    outside = {"sub/main.wsdl": wsdl(inline(imported("../../Types.xsd"))),
               "types.xsd": schema(ELEMENTS)}
    with pytest.raises(UnsafeSpecError):
        import_wsdl_or_raise("sub/main.wsdl", outside, connector_id="q")


def test_an_ambiguous_letter_case_is_not_guessed() -> None:
    files = {"main.wsdl": wsdl(inline(imported("TYPES.xsd"))),
             "types.xsd": schema(ELEMENTS), "Types.xsd": schema(ELEMENTS)}
    with pytest.raises(WsdlReferenceError):
        import_wsdl_or_raise("main.wsdl", files, connector_id="q")


def test_a_local_copy_is_read_and_nothing_is_fetched() -> None:
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return schema(ELEMENTS)

    files, _ = CASES["an absolute URL whose file is beside the WSDL"]
    result = import_wsdl("main.wsdl", files, connector_id="q", fetch=fetch)
    assert result.connector is not None
    assert fetched == []
    # Without a local copy the URL still goes to the fetcher (the egress guard), as before.
    remote_only = {"main.wsdl": files["main.wsdl"]}
    assert import_wsdl("main.wsdl", remote_only, connector_id="q", fetch=fetch).connector
    assert fetched == ["http://example.com/schemas/types.xsd"]


def test_a_loose_import_of_a_hostile_document_is_still_refused() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
            b'<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            b'targetNamespace="urn:types">&a;</xsd:schema>')
    with pytest.raises(UnsafeSpecError):
        import_wsdl_or_raise("main.wsdl", {"main.wsdl": wsdl(imported("types.xsd")),
                                           "types.xsd": bomb}, connector_id="q")


def test_a_loose_import_of_a_missing_file_names_it() -> None:
    with pytest.raises(WsdlReferenceError) as raised:
        import_wsdl_or_raise("main.wsdl", {"main.wsdl": wsdl(imported("gone.xsd"))},
                             connector_id="q")
    assert "gone.xsd" in raised.value.message


@pytest.mark.parametrize(("prefix", "namespace", "use"), [
    ("apachesoap", "http://xml.apache.org/xml-soap",
     '<xsd:element name="m" type="apachesoap:Map"/>'),
    ("enc12", "http://www.w3.org/2003/05/soap-encoding",
     '<xsd:element name="m"><xsd:complexType><xsd:attribute ref="enc12:itemType"/>'
     "</xsd:complexType></xsd:element>"),
    ("xlink", "http://www.w3.org/1999/xlink",
     '<xsd:element name="m"><xsd:complexType><xsd:attribute ref="xlink:href"/>'
     "</xsd:complexType></xsd:element>"),
])
def test_well_known_namespaces_used_without_an_import_come_from_the_catalogue(
        prefix: str, namespace: str, use: str) -> None:
    types = (f'<xsd:schema targetNamespace="urn:types" xmlns:{prefix}="{namespace}" '
             f'elementFormDefault="qualified">{ELEMENTS}{use}</xsd:schema>')
    result = import_wsdl("main.wsdl", {"main.wsdl": wsdl(types)}, connector_id="q",
                         fetch=_refuse_loudly)
    assert result.errors == []
    assert result.connector is not None
    assert list(result.connector.documents) == ["main.wsdl"]  # the catalogue's are not stored


def _refuse_loudly(url: str) -> bytes:
    raise AssertionError(f"fetched {url}")


def test_a_part_imported_through_a_repair_is_not_taken_for_a_root() -> None:
    part = (b'<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" '
            b'targetNamespace="urn:types"/>')
    files = {"main.wsdl": wsdl(inline(ELEMENTS, "urn:types"), imports=(
                 '<wsdl:import namespace="urn:parts" location="Parts\\Types.WSDL"/>'
                 '<wsdl:import namespace="urn:more" location="http://example.com/more.wsdl"/>')),
             "parts/types.wsdl": part, "more.wsdl": part}
    assert wsdl_roots(files) == ["main.wsdl"]
